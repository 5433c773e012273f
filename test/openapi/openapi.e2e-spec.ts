import { validate } from '@readme/openapi-parser';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { serialiseOpenApi, TAGS } from '../../src/openapi.js';
import { AppProcess, startAppProcess } from '../support/app-process.js';
import { seedTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

const COMMITTED = path.resolve('openapi.json');
const PROBLEM = 'application/problem+json';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface Operation {
  name: string;
  path: string;
  method: string;
  operation: any;
}

function operationsOf(document: any): Operation[] {
  return Object.entries<any>(document.paths).flatMap(([route, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ name: `${method.toUpperCase()} ${route}`, path: route, method, operation: item[method] })),
  );
}

function resolve(document: any, schema: any): any {
  return schema?.$ref ? document.components.schemas[schema.$ref.split('/').pop()] : schema;
}

describe('OpenAPI document and Swagger UI', () => {
  let t: TestApp;
  let served: any;
  let operations: Operation[];

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
    operations = operationsOf(served);
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

  it('is a valid OpenAPI document (@readme/openapi-parser)', async () => {
    const result = await validate(structuredClone(served));
    expect({ errors: result.valid ? [] : result.errors, warnings: result.warnings }).toEqual({ errors: [], warnings: [] });
    expect(served.openapi).toMatch(/^3\./);
  });

  it('serves Swagger UI at /docs and the document without credentials, outside /api/v1', async () => {
    const docs = await request(t.http).get('/docs').redirects(1).expect(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    expect(docs.text).toMatch(/swagger-ui/i);
    await request(t.http).get('/api/v1/openapi.json').expect(404);
  });

  it('gives every operation a summary, a description and one tag, the tags in workflow order', () => {
    const tagNames = TAGS.map(([name]) => name);
    expect(served.tags.map((tag: any) => tag.name)).toEqual(tagNames);
    expect(tagNames).toEqual(['Tenants', 'Auth', 'Users', 'API keys', 'Accounts', 'Transactions', 'Alerts', 'Audit', 'Operators', 'Health']);
    for (const { name, operation } of operations) {
      expect({ name, summary: typeof operation.summary === 'string' && operation.summary.length > 3 }).toEqual({ name, summary: true });
      expect({ name, description: typeof operation.description === 'string' && operation.description.length > 10 }).toEqual({ name, description: true });
      expect({ name, tags: operation.tags?.length === 1 && tagNames.includes(operation.tags[0]) }).toEqual({ name, tags: true });
    }
    // Operation ids are unique (openapi-typescript and Swagger UI key on them).
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares every {param} of every path, with a schema', () => {
    for (const { name, path: route, operation } of operations) {
      const inPath = [...route.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
      const declared = (operation.parameters ?? []).filter((parameter: any) => parameter.in === 'path');
      expect({ name, declared: declared.map((parameter: any) => parameter.name).sort() }).toEqual({ name, declared: inPath });
      for (const parameter of declared) {
        expect({ name, parameter: parameter.name, required: parameter.required, schema: !!parameter.schema?.type }).toEqual({
          name,
          parameter: parameter.name,
          required: true,
          schema: true,
        });
      }
    }
  });

  it('gives every answer with a body a named or described schema, never a bare object', () => {
    const bare: string[] = [];
    for (const { name, operation } of operations) {
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        if (!status.startsWith('2') || status === '204') continue;
        const content = Object.values<any>(response.content ?? {});
        const schemas = content.map((media) => resolve(served, media.schema));
        if (!schemas.length || schemas.some((schema) => !schema || (schema.type === 'object' && !schema.properties && !schema.additionalProperties))) {
          bare.push(`${name} ${status}`);
        }
      }
    }
    expect(bare).toEqual([]);
  });

  it('gives every request body a schema with no Dto in its name, and an example', () => {
    for (const name of Object.keys(served.components.schemas)) expect(name).not.toMatch(/Dto$/);
    for (const { name, operation } of operations.filter(({ operation }) => operation.requestBody)) {
      const media = operation.requestBody.content['application/json'];
      expect({ name, schema: !!media.schema, examples: Object.keys(media.examples ?? {}).length > 0 || media.example !== undefined }).toEqual({
        name,
        schema: true,
        examples: true,
      });
    }
  });

  it('declares the security schemes, and every route says which it accepts and needs', () => {
    expect(served.components.securitySchemes['api-key']).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }));
    expect(served.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }));
    expect(served.components.securitySchemes['admin-token']).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Admin-Token' }));
    for (const { name, path: route, operation } of operations) {
      if (route.startsWith('/api/v1/admin')) {
        expect({ name, security: operation.security }).toEqual({ name, security: [{ 'admin-token': [] }] });
        expect({ name, responses: Object.keys(operation.responses) }).toEqual({ name, responses: expect.arrayContaining(['401']) });
      } else if (route.startsWith('/api/v1/') && operation.security === undefined) {
        // A @Public() route (signup, login, …): it declares no scheme, and must really be one of those.
        expect({ name, public: /^\/api\/v1\/(tenants\/signup|auth\/)/.test(route) }).toEqual({ name, public: true });
      } else if (route.startsWith('/api/v1/')) {
        const access = operation['x-fraudguard-access'];
        expect({ name, bearer: operation.security?.some((entry: any) => 'bearer' in entry) }).toEqual({ name, bearer: true });
        expect({ name, apiKey: operation.security?.some((entry: any) => 'api-key' in entry) }).toEqual({ name, apiKey: access.api_keys });
        expect({ name, responses: Object.keys(operation.responses) }).toEqual({ name, responses: expect.arrayContaining(['401', '403', '429']) });
        // The 403 examples name this route's own requirement, not another route's.
        const examples = Object.values<any>(operation.responses['403'].content[PROBLEM].examples).map((example) => example.value);
        const scope = examples.find((example) => example.type.endsWith('/insufficient-scope'));
        if (access.api_keys && access.scopes.length) expect({ name, missing: scope?.missing_scopes }).toEqual({ name, missing: access.scopes });
        else expect({ name, scope }).toEqual({ name, scope: undefined });
        const role = examples.find((example) => example.type.endsWith('/insufficient-role'));
        if (access.role !== 'VIEWER') expect({ name, detail: role?.detail }).toEqual({ name, detail: `This route requires the ${access.role} role or higher` });
        expect(operation.description).toContain('**Access:**');
      } else {
        expect({ name, security: operation.security }).toEqual({ name, security: undefined });
      }
    }
  });

  it('documents every error as problem+json with the shared schema and an example per problem type', () => {
    expect(served.components.schemas.ProblemDetails.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'request_id']));
    let errors = 0;
    for (const { name, operation } of operations) {
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        if (Number(status) < 400) continue;
        errors++;
        expect({ name, status, media: Object.keys(response.content) }).toEqual({ name, status, media: [PROBLEM] });
        expect(response.content[PROBLEM].schema).toEqual({ $ref: '#/components/schemas/ProblemDetails' });
        const examples = Object.entries<any>(response.content[PROBLEM].examples);
        expect({ name, status, examples: examples.length > 0 }).toEqual({ name, status, examples: true });
        for (const [slug, example] of examples) {
          expect({ name, slug, status: example.value.status, type: example.value.type }).toEqual({
            name,
            slug,
            status: Number(status),
            type: `https://fraudguard.example/problems/${slug}`,
          });
        }
      }
    }
    expect(errors).toBeGreaterThan(100);
  });

  it('documents the errors each kind of route can answer', () => {
    const statuses = (name: string) => Object.keys(operations.find((operation) => operation.name === name)!.operation.responses);
    expect(statuses('POST /api/v1/transactions')).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404', '409', '413', '415', '422', '429', '503']));
    expect(statuses('PATCH /api/v1/alerts/{id}')).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '422', '429', '503']));
    expect(statuses('GET /api/v1/users/{id}')).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '429', '503']));
    expect(statuses('POST /api/v1/tenants/signup')).toEqual(expect.arrayContaining(['201', '400', '409', '413', '415', '503']));
    expect(statuses('GET /health')).toEqual(['200']);
    for (const { name, operation } of operations) {
      if (operation.requestBody) expect({ name, body: statuses(name) }).toEqual({ name, body: expect.arrayContaining(['400', '413', '415']) });
    }
  });

  it('documents problem examples the API really answers', async () => {
    const tenant = await seedTenant(t.db.ownerUrl, { scopes: ['read:transactions'] });
    const documented = (name: string, status: number) =>
      Object.values<any>(operations.find((operation) => operation.name === name)!.operation.responses[status].content[PROBLEM].examples).map(
        ({ value: { request_id: _, ...example } }) => example,
      );
    const cases: [name: string, answer: request.Test][] = [
      ['GET /api/v1/transactions', request(t.http).get('/api/v1/transactions')],
      ['POST /api/v1/transactions', request(t.http).post('/api/v1/transactions').set('X-API-Key', tenant.apiKey).send({ amount: '1.00', currency: 'EUR', merchant: 'M' })],
      ['POST /api/v1/transactions', request(t.http).post('/api/v1/transactions').set('X-API-Key', tenant.apiKey).set('content-type', 'text/plain').send('amount=1')],
      ['GET /api/v1/transactions/{id}', request(t.http).get('/api/v1/transactions/01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d').set('X-API-Key', tenant.apiKey)],
      ['GET /api/v1/transactions/{id}', request(t.http).get('/api/v1/transactions/not-a-uuid').set('X-API-Key', tenant.apiKey)],
      ['GET /api/v1/transactions', request(t.http).get('/api/v1/transactions?limit=101').set('X-API-Key', tenant.apiKey)],
    ];
    for (const [name, answer] of cases) {
      const { status, body } = await answer;
      const { request_id: _, ...problem } = body;
      expect({ name, status, problem }).toEqual({ name, status, problem: expect.objectContaining({ type: expect.any(String) }) });
      expect({ name, problem }).toEqual({ name, problem: documented(name, status).find((example) => example.type === problem.type) });
    }
  });

  it('documents Idempotency-Key where it applies, and the RateLimit / Retry-After headers', () => {
    const idempotent = operations
      .filter(({ operation }) => (operation.parameters ?? []).some((parameter: any) => parameter.in === 'header' && parameter.name === 'Idempotency-Key'))
      .map(({ name }) => name)
      .sort();
    expect(idempotent).toEqual(['POST /api/v1/accounts', 'POST /api/v1/transactions', 'POST /api/v1/transactions/batch']);
    for (const { name, operation } of operations) {
      const rateLimited = (operation.security ?? []).some((entry: any) => 'bearer' in entry);
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        const headers = Object.keys(response.headers ?? {});
        if (status === '429' || status === '503') expect({ name, status, headers }).toEqual({ name, status, headers: expect.arrayContaining(['Retry-After']) });
        if (rateLimited && status.startsWith('2')) {
          expect({ name, status, headers }).toEqual({ name, status, headers: expect.arrayContaining(['RateLimit', 'RateLimit-Policy']) });
        }
      }
    }
  });
});
