import { DiscoveryModule } from '@nestjs/core';
import request from 'supertest';
import { SCOPES } from '../../src/common/auth-context.js';
import { login, seedUser } from '../support/accounts.js';
import { MODES, startAppIn } from '../support/connection-modes.js';
import { seedTenant } from '../support/fixtures.js';
import { discoverRoutes } from '../support/routes.js';
import type { TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

/** What one tenant owns, created through the API, and the strings that would betray a leak. */
interface World {
  tenantId: string;
  subdomain: string;
  email: string;
  apiKey: string;
  bearer: string;
  refreshToken: string;
  accountId: string;
  accountRef: string;
  transactionId: string;
  alertId: string;
  userId: number;
  keyId: number;
  keyPrefix: string;
}

type Credential = [header: string, value: string];
type Case = (b: World, a: World, auth: Credential) => Promise<request.Response>;

async function buildWorld(t: TestApp, label: string): Promise<World> {
  const tenant = await seedTenant(t.db.ownerUrl, { scopes: [...SCOPES] });
  const admin = await seedUser(t.db.ownerUrl, tenant.tenantId, { role: 'ADMIN', email: `admin-${label}-${tenant.subdomain}@example.com` });
  const session = await login(t.http, admin.email);
  const bearer = `Bearer ${session.access_token}`;
  const key: Credential = ['X-API-Key', tenant.apiKey];
  // Every transaction raises an alert for this tenant.
  await request(t.http).put('/api/v1/tenants/me').set('Authorization', bearer).send({ ml_config: { risk_threshold: 0 } }).expect(200);
  const accountRef = `acct-${label}`;
  const account = await request(t.http).post('/api/v1/accounts').set(...key).send({ external_ref: accountRef, holder_name: `Holder ${label}`, country: 'DE' }).expect(201);
  const txn = await request(t.http).post('/api/v1/transactions').set(...key)
    .send({ account_id: account.body.id, amount: '250.00', currency: 'EUR', merchant: `Shop ${label}` }).expect(201);
  expect(txn.body.alert_id).toBeDefined();
  const user = await request(t.http).post('/api/v1/users').set('Authorization', bearer)
    .send({ email: `analyst-${label}-${tenant.subdomain}@example.com`, password: 'Analyst-Pass-9', full_name: `Analyst ${label}` }).expect(201);
  const apiKey = await request(t.http).post('/api/v1/api-keys').set('Authorization', bearer).send({ key_name: `key ${label}`, scopes: ['read:alerts'] }).expect(201);
  return {
    tenantId: tenant.tenantId,
    subdomain: tenant.subdomain,
    email: admin.email,
    apiKey: tenant.apiKey,
    bearer,
    refreshToken: session.refresh_token,
    accountId: account.body.id,
    accountRef,
    transactionId: txn.body.transaction_id,
    alertId: txn.body.alert_id,
    userId: user.body.id,
    keyId: apiKey.body.id,
    keyPrefix: apiKey.body.key_prefix ?? apiKey.body.key.slice(0, 16),
  };
}

/** Strings only tenant A's data contains. */
function markers(a: World): string[] {
  return [a.tenantId, a.subdomain, a.email, a.accountId, a.transactionId, a.alertId, a.keyPrefix, `Holder ${'A'}`, `Shop ${'A'}`];
}

const refused = (res: request.Response) => [403, 404].includes(res.status);

/**
 * One case per route of the application: what tenant B does to reach tenant A's data there.
 * `expect` says what a correct answer is; every answer is also searched for A's markers.
 */
const CASES: Record<string, { run: Case; expect: 'refused' | 'own' | 'rejected' | 'closed' }> = {
  'GET /health': { run: (_b, _a, auth) => request(http).get('/health').set(...auth), expect: 'own' },
  'GET /health/ready': { run: (_b, _a, auth) => request(http).get('/health/ready').set(...auth), expect: 'own' },
  'POST /api/v1/tenants/signup': {
    run: (_b, a) => request(http).post('/api/v1/tenants/signup').send({
      organization_name: 'Squatter', subdomain: a.subdomain, admin_full_name: 'x', admin_email: `x-${Date.now()}@example.com`, admin_password: 'SecurePass123!',
    }),
    expect: 'rejected',
  },
  'GET /api/v1/tenants/me': { run: (_b, _a, auth) => request(http).get('/api/v1/tenants/me').set(...auth), expect: 'own' },
  'PUT /api/v1/tenants/me': {
    run: (_b, a, auth) => request(http).put('/api/v1/tenants/me').set(...auth).send({ organization_name: 'Hijack', tenant_id: a.tenantId }),
    expect: 'rejected',
  },
  'GET /api/v1/tenants/usage': { run: (_b, _a, auth) => request(http).get('/api/v1/tenants/usage').set(...auth), expect: 'own' },
  'POST /api/v1/auth/login': {
    run: (b, a) => request(http).post('/api/v1/auth/login').send({ email: a.email, password: 'Correct-Horse-7', subdomain: b.subdomain }),
    expect: 'rejected',
  },
  'POST /api/v1/auth/refresh': {
    run: (_b, _a, auth) => request(http).post('/api/v1/auth/refresh').set(...auth).send({ refresh_token: 'fgr_' + 'x'.repeat(43) }),
    expect: 'rejected',
  },
  'POST /api/v1/auth/logout': {
    run: (_b, _a, auth) => request(http).post('/api/v1/auth/logout').set(...auth).send({ refresh_token: 'fgr_' + 'x'.repeat(43) }),
    expect: 'own',
  },
  'POST /api/v1/auth/forgot-password': {
    run: (b, a) => request(http).post('/api/v1/auth/forgot-password').send({ email: a.email, subdomain: b.subdomain }),
    expect: 'own',
  },
  'POST /api/v1/auth/reset-password': {
    run: () => request(http).post('/api/v1/auth/reset-password').send({ token: 'x'.repeat(43), password: 'Another-Pass-5' }),
    expect: 'rejected',
  },
  'GET /api/v1/users': { run: (_b, _a, auth) => request(http).get('/api/v1/users').set(...auth), expect: 'own' },
  'POST /api/v1/users': {
    run: (_b, a, auth) => request(http).post('/api/v1/users').set(...auth).send({ email: `n-${Date.now()}@example.com`, password: 'Analyst-Pass-9', full_name: 'N', tenant_id: a.tenantId }),
    expect: 'rejected',
  },
  'GET /api/v1/users/me': { run: (_b, _a, auth) => request(http).get('/api/v1/users/me').set(...auth), expect: 'own' },
  'POST /api/v1/users/me/password': {
    run: (_b, a, auth) => request(http).post('/api/v1/users/me/password').set(...auth).send({ current_password: 'wrong', new_password: 'Another-Pass-5', tenant_id: a.tenantId }),
    expect: 'rejected',
  },
  'GET /api/v1/users/:id': { run: (_b, a, auth) => request(http).get(`/api/v1/users/${a.userId}`).set(...auth), expect: 'refused' },
  'PATCH /api/v1/users/:id': { run: (_b, a, auth) => request(http).patch(`/api/v1/users/${a.userId}`).set(...auth).send({ role: 'VIEWER' }), expect: 'refused' },
  'DELETE /api/v1/users/:id': { run: (_b, a, auth) => request(http).delete(`/api/v1/users/${a.userId}`).set(...auth), expect: 'refused' },
  'GET /api/v1/api-keys': { run: (_b, _a, auth) => request(http).get('/api/v1/api-keys').set(...auth), expect: 'own' },
  'POST /api/v1/api-keys': {
    run: (_b, a, auth) => request(http).post('/api/v1/api-keys').set(...auth).send({ key_name: 'x', scopes: ['read:alerts'], tenant_id: a.tenantId }),
    expect: 'rejected',
  },
  'DELETE /api/v1/api-keys/:id': { run: (_b, a, auth) => request(http).delete(`/api/v1/api-keys/${a.keyId}`).set(...auth), expect: 'refused' },
  'POST /api/v1/api-keys/:id/roll': { run: (_b, a, auth) => request(http).post(`/api/v1/api-keys/${a.keyId}/roll`).set(...auth).send({ grace_seconds: 0 }), expect: 'refused' },
  'POST /api/v1/accounts': {
    run: (_b, a, auth) => request(http).post('/api/v1/accounts').set(...auth).send({ external_ref: 'forged', tenant_id: a.tenantId }),
    expect: 'rejected',
  },
  'GET /api/v1/accounts': { run: (_b, _a, auth) => request(http).get('/api/v1/accounts').set(...auth), expect: 'own' },
  'GET /api/v1/accounts/:id': { run: (_b, a, auth) => request(http).get(`/api/v1/accounts/${a.accountId}`).set(...auth), expect: 'refused' },
  'POST /api/v1/transactions': {
    run: (_b, a, auth) => request(http).post('/api/v1/transactions').set(...auth).send({ account_id: a.accountId, amount: '1.00', currency: 'EUR', merchant: 'x' }),
    expect: 'refused',
  },
  'POST /api/v1/transactions/batch': {
    run: (_b, a, auth) => request(http).post('/api/v1/transactions/batch').set(...auth)
      .send({ transactions: [{ account_id: a.accountId, amount: '1.00', currency: 'EUR', merchant: 'x' }] }),
    expect: 'rejected',
  },
  'GET /api/v1/transactions': { run: (_b, _a, auth) => request(http).get('/api/v1/transactions').set(...auth), expect: 'own' },
  'GET /api/v1/transactions/:id': { run: (_b, a, auth) => request(http).get(`/api/v1/transactions/${a.transactionId}`).set(...auth), expect: 'refused' },
  'GET /api/v1/alerts': { run: (_b, _a, auth) => request(http).get('/api/v1/alerts').set(...auth), expect: 'own' },
  'GET /api/v1/alerts/:id': { run: (_b, a, auth) => request(http).get(`/api/v1/alerts/${a.alertId}`).set(...auth), expect: 'refused' },
  'PATCH /api/v1/alerts/:id': { run: (_b, a, auth) => request(http).patch(`/api/v1/alerts/${a.alertId}`).set(...auth).send({ handled: true, resolution: 'FRAUD' }), expect: 'refused' },
  'GET /api/v1/audit-logs': {
    run: (_b, a, auth) => request(http).get(`/api/v1/audit-logs?format=ndjson&resource_id=${a.accountId}`).set(...auth),
    expect: 'own',
  },
  'GET /api/v1/audit-logs/verify': { run: (_b, _a, auth) => request(http).get('/api/v1/audit-logs/verify').set(...auth), expect: 'own' },
  'GET /api/v1/admin/tenants': { run: (_b, _a, auth) => request(http).get('/api/v1/admin/tenants').set(...auth), expect: 'closed' },
  'GET /api/v1/admin/tenants/:id': { run: (_b, a, auth) => request(http).get(`/api/v1/admin/tenants/${a.tenantId}`).set(...auth), expect: 'closed' },
  'PATCH /api/v1/admin/tenants/:id': {
    run: (_b, a, auth) => request(http).patch(`/api/v1/admin/tenants/${a.tenantId}`).set(...auth).send({ status: 'SUSPENDED' }),
    expect: 'closed',
  },
  'GET /metrics': { run: (_b, _a, auth) => request(http).get('/metrics').set(...auth), expect: 'closed' },
};

let http: TestApp['http'];

/** The ids a list answered; every list of this API answers `{ data: [...] }`. */
function listedTenants(body: { data?: Array<Record<string, unknown>> }): unknown[] {
  return (body.data ?? []).map((row) => row.tenant_id);
}

describe.each(MODES)('isolation attack suite (%s): tenant B against tenant A on every route', (mode) => {
  let t: TestApp;
  let a: World;
  let b: World;
  let before: Record<string, unknown>;

  async function snapshotOfA(): Promise<Record<string, unknown>> {
    return withClient(t.db.ownerUrl, async (client) => {
      const one = async (sql: string) => (await client.query(sql, [a.tenantId])).rows;
      return {
        tenant: await one(`SELECT organization_name, status, plan, ml_config FROM tenants WHERE tenant_id = $1`),
        users: await one(`SELECT id, role, is_active, password_hash FROM tenant_users WHERE tenant_id = $1 ORDER BY id`),
        keys: await one(`SELECT id, is_active, expires_at FROM tenant_api_keys WHERE tenant_id = $1 ORDER BY id`),
        accounts: await one(`SELECT id, external_ref FROM accounts WHERE tenant_id = $1 ORDER BY id`),
        transactions: await one(`SELECT id, amount FROM transactions WHERE tenant_id = $1 ORDER BY id`),
        alerts: await one(`SELECT id, handled, resolution FROM fraud_alerts WHERE tenant_id = $1 ORDER BY id`),
      };
    });
  }

  beforeAll(async () => {
    t = await startAppIn(mode, { poolSize: 3, modules: [DiscoveryModule], env: { RATE_LIMIT_ENABLED: 'false', JWT_SECRET: 'isolation-attack-secret-0123456789abcdef' } });
    http = t.http;
    a = await buildWorld(t, 'A');
    b = await buildWorld(t, 'B');
    before = await snapshotOfA();
  });
  afterAll(() => t.close());

  it('has a case for every route of the running application, and no case for a route that does not exist', () => {
    const routes = discoverRoutes(t).map((route) => route.route).sort();
    expect(Object.keys(CASES).sort()).toEqual(routes);
  });

  for (const principal of ['API key', 'JWT'] as const) {
    it(`never answers tenant A's data to tenant B's ${principal}, on any route`, async () => {
      const auth: Credential = principal === 'API key' ? ['X-API-Key', b.apiKey] : ['Authorization', b.bearer];
      const failures: string[] = [];
      for (const [route, { run, expect: expected }] of Object.entries(CASES)) {
        http = t.http;
        const res = await run(b, a, auth);
        // An echo of the URL B itself sent ("Cannot GET /…/<id>") is not a leak: remove it first.
        const text = (res.text || JSON.stringify(res.body)).split((res as unknown as { req: { path: string } }).req.path).join('');
        const leaked = markers(a).filter((marker) => text.includes(marker));
        if (leaked.length) failures.push(`${route}: answer contains ${leaked.join(', ')}`);
        if (res.status >= 500) failures.push(`${route}: ${res.status}`);
        if (expected === 'refused' && !refused(res)) failures.push(`${route}: expected 404/403, got ${res.status}`);
        if (expected === 'closed' && ![401, 403, 404].includes(res.status)) failures.push(`${route}: operator route answered ${res.status}`);
        if (expected === 'rejected' && (res.status < 400 || res.status >= 500)) failures.push(`${route}: expected a 4xx, got ${res.status}`);
        if (expected === 'own' && res.status === 200 && Array.isArray(res.body?.data)) {
          const tenants = listedTenants(res.body).filter((tenant) => tenant !== undefined);
          if (tenants.some((tenant) => tenant !== b.tenantId)) failures.push(`${route}: list holds rows of ${[...new Set(tenants)].join(', ')}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it("lists only tenant B's own ids to tenant B", async () => {
    const get = (path: string) => request(t.http).get(path).set('X-API-Key', b.apiKey).expect(200);
    expect((await get('/api/v1/accounts')).body.data.map((row: { id: string }) => row.id)).toEqual([b.accountId]);
    expect((await get('/api/v1/transactions')).body.data.map((row: { id: string }) => row.id)).toEqual([b.transactionId]);
    expect((await get('/api/v1/alerts')).body.data.map((row: { id: string }) => row.id)).toEqual([b.alertId]);
    const users = await request(t.http).get('/api/v1/users').set('Authorization', b.bearer).expect(200);
    expect(users.body.data.map((row: { id: number }) => row.id)).not.toContain(a.userId);
    const keys = await request(t.http).get('/api/v1/api-keys').set('Authorization', b.bearer).expect(200);
    expect(keys.body.data.map((row: { id: number }) => row.id)).not.toContain(a.keyId);
  });

  it("left every row of tenant A exactly as it was", async () => {
    expect(await snapshotOfA()).toEqual(before);
  });
});
