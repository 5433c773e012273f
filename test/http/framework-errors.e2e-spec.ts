import request from 'supertest';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** What every refusal looks like, whoever produced it: problem+json, request_id = X-Request-Id, no echo of the URL. */
function expectProblem(res: request.Response, status: number, slug: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.stringMatching(new RegExp(`/${slug}$`)), status, title: expect.any(String) });
  expect(res.body.request_id).toBe(res.headers['x-request-id']);
  expect(res.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.text).not.toContain('x'.repeat(50));
}

describe('answers the framework produces itself', () => {
  let t: TestApp;
  let a: SeededTenant;
  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t.db.ownerUrl);
  });
  afterAll(() => t.close());

  it('414 for a path parameter longer than the router accepts', async () => {
    const res = await request(t.http).get(`/api/v1/users/${'x'.repeat(150)}`).set('X-API-Key', a.apiKey);
    expectProblem(res, 414, 'uri-too-long');
  });

  it('400 for a URL the router cannot decode', async () => {
    const res = await request(t.http).get('/api/v1/users/%E0%A4%A');
    expectProblem(res, 400, 'bad-request');
  });

  it('413 for a body over the limit', async () => {
    const res = await request(t.http)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@b.example', password: 'x'.repeat(2 * 1024 * 1024) }));
    expectProblem(res, 413, 'payload-too-large');
  });

  it('415 for a media type nothing parses', async () => {
    const res = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/x-www-form-urlencoded').send('email=a');
    expectProblem(res, 415, 'unsupported-media-type');
  });

  it('404 for an unknown route, without echoing the path', async () => {
    const res = await request(t.http).get(`/api/v1/${'x'.repeat(60)}`).set('X-API-Key', a.apiKey);
    expectProblem(res, 404, 'not-found');
  });

  it('405 with Allow for a known path and another method', async () => {
    const res = await request(t.http).delete('/api/v1/auth/login');
    expectProblem(res, 405, 'method-not-allowed');
    expect(res.headers.allow).toBe('POST');
    const me = await request(t.http).patch('/api/v1/tenants/me').set('X-API-Key', a.apiKey);
    expectProblem(me, 405, 'method-not-allowed');
    expect(me.headers.allow!.split(', ').sort()).toEqual(['GET', 'HEAD', 'PUT']);
    const param = await request(t.http).post(`/api/v1/users/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`).set('X-API-Key', a.apiKey);
    expectProblem(param, 405, 'method-not-allowed');
    expect(param.headers.allow!.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH']);
  });
});
