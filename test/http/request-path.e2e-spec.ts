import request from 'supertest';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { ProbeModule } from '../support/probe.module.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { MODES, startAppIn } from '../support/connection-modes.js';
import { withClient } from '../support/test-database.js';

describe.each(MODES)('request path (%s): guards → tenant transaction → repositories', (mode) => {
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;

  beforeAll(async () => {
    // One connection in the pool: every request below reuses the same physical connection.
    t = await startAppIn(mode, { poolSize: 1, modules: [ProbeModule] });
    a = await seedTenant(t.db.ownerUrl);
    b = await seedTenant(t.db.ownerUrl);
    await seedDomainRows(t.db.ownerUrl, a.tenantId);
    await seedDomainRows(t.db.ownerUrl, b.tenantId);
  });
  afterAll(() => t.close());

  it('serves liveness and readiness without credentials', async () => {
    await request(t.http).get('/health').expect(200, { status: 'ok' });
    await request(t.http).get('/health/ready').expect(200, { status: 'ready', database: 'ok' });
  });

  it('answers GET /api/v1/tenants/me for the API key, in snake_case', async () => {
    const res = await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', a.apiKey).expect(200);
    expect(res.body).toMatchObject({ tenant_id: a.tenantId, subdomain: a.subdomain, status: 'ACTIVE', plan: 'STARTER' });
    expect(res.body).toHaveProperty('ml_config.risk_threshold', 0.7);
    expect(res.body).not.toHaveProperty('api_key');
  });

  it('refuses a route with no credentials: 401 problem+json "No tenant identified" that says which headers to send', async () => {
    const res = await request(t.http).get('/api/v1/tenants/me').expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('ApiKey, Bearer');
    expect(res.body).toMatchObject({ status: 401, type: expect.stringMatching(/\/no-tenant$/) });
    expect(res.body.detail).toMatch(/^No tenant identified: send an API key in the X-API-Key header, or a user access token as "Authorization: Bearer <token>"/);
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
  });

  it('refuses a body that is not JSON with 415 problem+json naming the Content-Type to send', async () => {
    const res = await request(t.http)
      .post('/api/v1/transactions')
      .set('X-API-Key', a.apiKey)
      .set('Content-Type', 'text/plain')
      .send('{"account_ref":"x","amount":"1","currency":"EUR","merchant":"M"}')
      .expect(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 415,
      type: expect.stringMatching(/\/unsupported-media-type$/),
      detail: 'Send the request body as JSON with "Content-Type: application/json" (this request sent "text/plain")',
    });
    const form = await request(t.http).post('/api/v1/accounts').set('X-API-Key', a.apiKey).type('form').send({ external_ref: 'x' }).expect(415);
    expect(form.body.detail).toContain('"Content-Type: application/json"');
  });

  it('refuses unknown and malformed API keys with 401', async () => {
    const unknown = 'fgk_live_' + 'A'.repeat(43);
    for (const key of [unknown, 'nonsense', a.apiKey + 'x']) {
      const res = await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', key).expect(401);
      expect(res.body.type).toMatch(/\/invalid-api-key$/);
    }
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const sane = await request(t.http).get('/health').set('X-Request-Id', 'req-123.abc').expect(200);
    expect(sane.headers['x-request-id']).toBe('req-123.abc');
    const unsafe = await request(t.http).get('/health').set('X-Request-Id', 'x'.repeat(300)).expect(200);
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await request(t.http).get('/health').expect(200);
    expect(missing.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes and unparseable bodies with problem+json, not 500', async () => {
    const notFound = await request(t.http).get('/api/v1/nope').set('X-API-Key', a.apiKey).expect(404);
    expect(notFound.headers['content-type']).toMatch(/^application\/problem\+json/);
    const badJson = await request(t.http)
      .post('/api/v1/probe/fail')
      .set('X-API-Key', a.apiKey)
      .set('Content-Type', 'application/json')
      .send('{"truncated": ')
      .expect(400);
    expect(badJson.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('rolls back a failed request and hands the same connection to the next tenant clean', async () => {
    const before = await request(t.http).get('/api/v1/probe/whoami').set('X-API-Key', a.apiKey).expect(200);
    expect(before.body.tenant_setting).toBe(a.tenantId);

    const failed = await request(t.http).post('/api/v1/probe/fail').set('X-API-Key', a.apiKey);
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);

    const after = await request(t.http).get('/api/v1/probe/whoami').set('X-API-Key', b.apiKey).expect(200);
    expect(after.body.pid).toBe(before.body.pid); // same physical connection
    expect(after.body.tenant_setting).toBe(b.tenantId);
    expect(after.body.account_tenants).toEqual([b.tenantId]);
    expect(after.body.tenants).toEqual([b.tenantId]);

    await withClient(t.db.ownerUrl, async (client) => {
      const { rowCount } = await client.query(`SELECT 1 FROM accounts WHERE external_ref = 'must-roll-back'`);
      expect(rowCount).toBe(0);
      // Between requests the pooled connection holds no tenant and no open transaction.
      const { rows } = await client.query(
        `SELECT state FROM pg_stat_activity WHERE pid = $1`, [after.body.pid]);
      expect(rows[0].state).toBe('idle');
    });
  });
});

describe.each(MODES)('request path under concurrency (%s)', (mode) => {
  let t: TestApp;
  let tenants: SeededTenant[];

  beforeAll(async () => {
    t = await startAppIn(mode, { poolSize: 2, modules: [ProbeModule] });
    tenants = [];
    for (let i = 0; i < 5; i++) {
      const tenant = await seedTenant(t.db.ownerUrl);
      await seedDomainRows(t.db.ownerUrl, tenant.tenantId);
      tenants.push(tenant);
    }
  });
  afterAll(() => t.close());

  it('keeps 200 interleaved requests from 5 tenants over 2 connections each in its own tenant', async () => {
    const calls = Array.from({ length: 200 }, (_, i) => {
      const tenant = tenants[i % tenants.length];
      const path = i % 2 === 0 ? '/api/v1/tenants/me' : '/api/v1/probe/whoami';
      return request(t.http)
        .get(path)
        .set('X-API-Key', tenant.apiKey)
        .then((res) => ({ tenant, path, res }));
    });
    const results = await Promise.all(calls);
    const pids = new Set<number>();
    for (const { tenant, path, res } of results) {
      expect(res.status).toBe(200);
      if (path === '/api/v1/tenants/me') {
        expect(res.body.tenant_id).toBe(tenant.tenantId);
      } else {
        pids.add(res.body.pid);
        expect(res.body.tenant_setting).toBe(tenant.tenantId);
        expect(res.body.tenants).toEqual([tenant.tenantId]);
        expect(res.body.account_tenants).toEqual([tenant.tenantId]);
      }
    }
    expect(pids.size).toBeLessThanOrEqual(2);
  });
});
