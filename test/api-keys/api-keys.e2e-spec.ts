import request from 'supertest';
import { SCOPES } from '../../src/common/auth-context.js';
import { login, seedUser } from '../support/accounts.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { ScopeProbeModule } from '../support/scope-probe.module.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

const SECRET = 'api-keys-suite-secret-long-enough-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => Promise<boolean>, timeoutMs = 2000): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await sleep(10);
  }
  return Date.now() - start;
}

describe('API keys', () => {
  let t: TestApp;
  let second: TestApp; // another API instance on the same database
  let a: SeededTenant;
  let bearer: string;

  beforeAll(async () => {
    const env = { JWT_SECRET: SECRET, API_KEY_CACHE_TTL_MS: '600000' };
    t = await startTestApp({ env, modules: [ScopeProbeModule] });
    second = await startTestApp({ env, db: t.db, modules: [ScopeProbeModule] });
    a = await seedTenant(t.db.ownerUrl);
    const admin = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'ADMIN' });
    bearer = `Bearer ${(await login(t.http, admin.email)).access_token}`;
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });

  const create = (body: object) => request(t.http).post('/api/v1/api-keys').set('Authorization', bearer).send(body);
  const me = (app: TestApp, key: string) => request(app.http).get('/api/v1/tenants/me').set('X-API-Key', key);

  it('creates a key (id and key shown once, plan default rate limit), lists keys without secrets', async () => {
    const res = await create({ key_name: 'ingest', scopes: ['read:transactions', 'write:transactions'] }).expect(201);
    expect(res.body).toMatchObject({ key_name: 'ingest', scopes: ['read:transactions', 'write:transactions'], rate_limit_per_minute: 100, is_active: true });
    expect(res.body.id).toEqual(expect.any(Number));
    expect(res.body.key).toMatch(/^fgk_live_[A-Za-z0-9_-]{43}$/);
    expect(res.body).not.toHaveProperty('key_hash');
    await me(t, res.body.key).expect(200);
    const list = await request(t.http).get('/api/v1/api-keys').set('Authorization', bearer).expect(200);
    const listed = list.body.data.find((k: { id: number }) => k.id === res.body.id);
    expect(listed).toMatchObject({ key_prefix: res.body.key.slice(0, 16) });
    expect(JSON.stringify(list.body)).not.toContain(res.body.key);
    expect(JSON.stringify(list.body)).not.toContain('key_hash');
  });

  it('validates: scopes from the fixed list, future expiry, rate limit within the plan', async () => {
    const unknown = await create({ key_name: 'x', scopes: ['admin:everything'] }).expect(400);
    expect(unknown.body.errors[0].field).toBe('scopes');
    await create({ key_name: 'x', scopes: 'read:alerts' }).expect(400);
    await create({ key_name: 'x', scopes: ['read:alerts', 'read:alerts'] }).expect(400);
    await create({ key_name: '', scopes: [] }).expect(400);
    await create({ key_name: 'x', scopes: [], expires_at: new Date(Date.now() - 1000).toISOString() }).expect(400);
    await create({ key_name: 'x', scopes: [], expires_at: 'tomorrow' }).expect(400);
    const tooFast = await create({ key_name: 'x', scopes: [], rate_limit_per_minute: 601 }).expect(403);
    expect(tooFast.body.type).toMatch(/\/plan-limit$/);
    await create({ key_name: 'x', scopes: [], rate_limit_per_minute: 600 }).expect(201);
  });

  it('is for ADMIN users only: API keys, MANAGERs and lower are refused (403)', async () => {
    await request(t.http).get('/api/v1/api-keys').set('X-API-Key', a.apiKey).expect(403);
    await request(t.http).post('/api/v1/api-keys').set('X-API-Key', a.apiKey).send({ key_name: 'child', scopes: [] }).expect(403);
    const manager = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'MANAGER' });
    const managerBearer = `Bearer ${(await login(t.http, manager.email)).access_token}`;
    await request(t.http).post('/api/v1/api-keys').set('Authorization', managerBearer).send({ key_name: 'x', scopes: [] }).expect(403);
  });

  it.each(SCOPES.map((scope) => [scope]))('scope guard: %s is required by its route, and its absence is named in a 403', async (scope) => {
    const route = `/api/v1/scope-probe/${scope.replace(':', '-')}`;
    const without = await create({ key_name: `all but ${scope}`, scopes: SCOPES.filter((s) => s !== scope) }).expect(201);
    const res = await request(t.http).get(route).set('X-API-Key', without.body.key).expect(403);
    expect(res.body).toMatchObject({ type: expect.stringMatching(/\/insufficient-scope$/), missing_scopes: [scope] });
    expect(res.body.detail).toContain(scope);
    const only = await create({ key_name: `only ${scope}`, scopes: [scope] }).expect(201);
    await request(t.http).get(route).set('X-API-Key', only.body.key).expect(200);
  });

  it('revokes a key: 401 at once on this instance and on the other one, whose cache held it', async () => {
    const key = (await create({ key_name: 'to revoke', scopes: [] }).expect(201)).body;
    await me(t, key.key).expect(200);
    await me(second, key.key).expect(200); // now cached on the second instance for 10 minutes
    await request(t.http).delete(`/api/v1/api-keys/${key.id}`).set('Authorization', bearer).expect(204);
    const first = await me(t, key.key).expect(401);
    expect(first.body.detail).toMatch(/revoked/);
    const waited = await eventually(async () => (await me(second, key.key)).status === 401);
    expect(waited).toBeLessThan(1000);
    await request(t.http).delete(`/api/v1/api-keys/${key.id}`).set('Authorization', bearer).expect(204); // idempotent
    await request(t.http).delete(`/api/v1/api-keys/abc`).set('Authorization', bearer).expect(400);
    await request(t.http).delete(`/api/v1/api-keys/999999`).set('Authorization', bearer).expect(404);
    const b = await seedTenant(t.db.ownerUrl);
    await request(t.http).delete(`/api/v1/api-keys/${b.apiKeyId}`).set('Authorization', bearer).expect(404);
    await me(t, b.apiKey).expect(200);
  });

  it('refuses an expired key with 401 even while it is cached', async () => {
    const key = (await create({ key_name: 'short', scopes: [], expires_at: new Date(Date.now() + 1500).toISOString() }).expect(201)).body;
    await me(t, key.key).expect(200);
    await sleep(1600);
    const res = await me(t, key.key).expect(401);
    expect(res.body.detail).toMatch(/expired/);
  });

  it('rolls a key: the new key works, the old one ends at now + grace (on both instances), never later than its own expiry', async () => {
    const old = (await create({ key_name: 'rolling', scopes: ['read:alerts'] }).expect(201)).body;
    await me(second, old.key).expect(200);
    const rolled = await request(t.http).post(`/api/v1/api-keys/${old.id}/roll`).set('Authorization', bearer).send({ grace_seconds: 1 }).expect(201);
    expect(rolled.body).toMatchObject({ key_name: 'rolling', scopes: ['read:alerts'], replaces: { id: old.id } });
    expect(rolled.body.id).not.toBe(old.id);
    expect(rolled.body.key).not.toBe(old.key);
    await me(t, rolled.body.key).expect(200);
    await me(t, old.key).expect(200); // inside the grace period
    await me(second, old.key).expect(200);
    await sleep(1100);
    await me(t, old.key).expect(401);
    await me(second, old.key).expect(401);
    await me(second, rolled.body.key).expect(200);

    const now = (await create({ key_name: 'immediate', scopes: [] }).expect(201)).body;
    await request(t.http).post(`/api/v1/api-keys/${now.id}/roll`).set('Authorization', bearer).expect(201); // no body: grace 0
    await me(t, now.key).expect(401);

    const soon = new Date(Date.now() + 60_000);
    const expiring = (await create({ key_name: 'expiring', scopes: [], expires_at: soon.toISOString() }).expect(201)).body;
    const r = await request(t.http).post(`/api/v1/api-keys/${expiring.id}/roll`).set('Authorization', bearer).send({ grace_seconds: 3600 }).expect(201);
    expect(new Date(r.body.replaces.expires_at).getTime()).toBe(soon.getTime());

    const revoked = await request(t.http).post(`/api/v1/api-keys/${old.id}/roll`).set('Authorization', bearer).send({ grace_seconds: 0 }).expect(409);
    expect(revoked.body.type).toMatch(/\/api-key-inactive$/);
    await request(t.http).post(`/api/v1/api-keys/${rolled.body.id}/roll`).set('Authorization', bearer).send({ grace_seconds: -1 }).expect(400);
    await request(t.http).post(`/api/v1/api-keys/${rolled.body.id}/roll`).set('Authorization', bearer).send({ grace_seconds: 'soon' }).expect(400);
  });

  it('keeps last_used_at, with at most one write per key per minute', async () => {
    const key = (await create({ key_name: 'usage', scopes: [] }).expect(201)).body;
    const lastUsed = () =>
      withClient(t.db.ownerUrl, async (client) => (await client.query(`SELECT last_used_at FROM tenant_api_keys WHERE tenant_id = $1 AND id = $2`, [a.tenantId, key.id])).rows[0].last_used_at);
    expect(await lastUsed()).toBeNull();
    await me(t, key.key).expect(200);
    await eventually(async () => (await lastUsed()) !== null);
    const first = (await lastUsed()).getTime();
    for (let i = 0; i < 5; i++) {
      await me(t, key.key).expect(200);
      await me(second, key.key).expect(200);
    }
    await sleep(200);
    expect((await lastUsed()).getTime()).toBe(first);
  });

  it('suspending the tenant stops its keys at once on both instances', async () => {
    const tenant = await seedTenant(t.db.ownerUrl);
    await me(t, tenant.apiKey).expect(200);
    await me(second, tenant.apiKey).expect(200);
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenants SET status = 'SUSPENDED' WHERE tenant_id = $1`, [tenant.tenantId]));
    await eventually(async () => (await me(t, tenant.apiKey)).status === 403);
    await eventually(async () => (await me(second, tenant.apiKey)).status === 403);
  });
});
