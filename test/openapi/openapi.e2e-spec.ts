import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { serialiseOpenApi } from '../../src/openapi.js';
import { AppProcess, startAppProcess } from '../support/app-process.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

const COMMITTED = path.resolve('openapi.json');

describe('OpenAPI document and Swagger UI', () => {
  let t: TestApp;
  let served: any;

  let db: TestDatabase;
  let deployed: AppProcess;

  beforeAll(async () => {
    t = await startTestApp();
    // The document the built server serves (`npm test` builds first): the same `nest build` + Swagger
    // plugin output `npm run openapi` writes. ts-jest only transpiles, so the plugin cannot infer
    // types (enums, DTO bodies) in-process; the deployed process is the truth to compare against.
    db = await createTestDatabase();
    deployed = await startAppProcess(db.ownerUrl);
    const res = await fetch(`${deployed.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    served = await res.json();
  });
  afterAll(async () => {
    deployed?.child.kill('SIGTERM');
    await deployed?.exited;
    await db?.drop();
    await t.close();
  });

  it('serves exactly the committed openapi.json (drift check)', () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    if (serialiseOpenApi(served) !== committed) {
      throw new Error(
        'The served OpenAPI document differs from the committed openapi.json.\n' +
          'If the API change is intended, regenerate it with `npm run openapi` and commit openapi.json.',
      );
    }
  });

  it('serves Swagger UI at /docs and the document without credentials, outside /api/v1', async () => {
    const docs = await request(t.http).get('/docs').redirects(1).expect(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    expect(docs.text).toMatch(/swagger-ui/i);
    await request(t.http).get('/api/v1/openapi.json').expect(404);
  });

  it('declares the API-key and bearer schemes, and every tenant route says which it accepts', () => {
    expect(served.components.securitySchemes['api-key']).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }));
    expect(served.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }));
    for (const [route, operations] of Object.entries<any>(served.paths)) {
      for (const [method, operation] of Object.entries<any>(operations)) {
        const name = `${method.toUpperCase()} ${route}`;
        if (route.startsWith('/api/v1/admin')) {
          expect({ name, security: operation.security }).toEqual({ name, security: [{ 'admin-token': [] }] });
        } else if (route.startsWith('/api/v1/') && operation.security === undefined) {
          // A @Public() route (signup, login, …): it declares no scheme, and must really be one of those.
          expect({ name, public: /^\/api\/v1\/(tenants\/signup|auth\/)/.test(route) }).toEqual({ name, public: true });
        } else if (route.startsWith('/api/v1/')) {
          expect({ name, bearer: operation.security?.some((entry: any) => 'bearer' in entry) }).toEqual({ name, bearer: true });
          expect({ name, responses: Object.keys(operation.responses) }).toEqual({ name, responses: expect.arrayContaining(['401', '403']) });
        } else {
          expect({ name, security: operation.security }).toEqual({ name, security: undefined });
        }
      }
    }
  });

  it('documents every error response with the shared ProblemDetails schema', () => {
    expect(served.components.schemas.ProblemDetailsSchema.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'request_id']));
    let errors = 0;
    for (const operations of Object.values<any>(served.paths)) {
      for (const operation of Object.values<any>(operations)) {
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          if (Number(status) < 400) continue;
          errors++;
          expect(response.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/ProblemDetailsSchema' });
          expect(response.content['application/problem+json'].example.status).toBe(Number(status));
        }
      }
    }
    expect(errors).toBeGreaterThan(5);
  });
});
