import request from 'supertest';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/fraudguard.config.js';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { waitForSealed } from '../support/audit-seal.js';
import { createTestDatabase, withClient } from '../support/test-database.js';

const TOKEN = 'op-token-' + 'x'.repeat(40);
const ADMIN_ROUTES: Array<[method: 'get' | 'patch', path: (id: string) => string]> = [
  ['get', () => '/api/v1/admin/tenants'],
  ['get', (id) => `/api/v1/admin/tenants/${id}`],
  ['patch', (id) => `/api/v1/admin/tenants/${id}`],
];

async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('admin API without PLATFORM_ADMIN_TOKEN', () => {
  let t: TestApp;
  let a: SeededTenant;
  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t.db.ownerUrl);
  });
  afterAll(() => t.close());

  it('does not exist: 404 for everyone', async () => {
    for (const [method, path] of ADMIN_ROUTES) {
      await request(t.http)[method](path(a.tenantId)).set('X-Admin-Token', TOKEN).send({ status: 'SUSPENDED' }).expect(404);
      await request(t.http)[method](path(a.tenantId)).set('X-API-Key', a.apiKey).send({ status: 'SUSPENDED' }).expect(404);
    }
  });
});

describe('admin API without an owner database URL', () => {
  it('does not exist (404) even with the token, and the app opens no platform connection', async () => {
    const db = await createTestDatabase();
    const a = await seedTenant(db.ownerUrl);
    const config = loadConfig({ NODE_ENV: 'test', APP_DATABASE_URL: db.appUrl, LOG_LEVEL: 'error', DEMO_API_KEY: 'false', PLATFORM_ADMIN_TOKEN: TOKEN });
    const app = await createApp(config, db.appUrl);
    try {
      const http = app.getHttpServer();
      for (const [method, path] of ADMIN_ROUTES) {
        await request(http)[method](path(a.tenantId)).set('X-Admin-Token', TOKEN).send({ status: 'SUSPENDED' }).expect(404);
      }
      await request(http).get('/api/v1/tenants/me').set('X-API-Key', a.apiKey).expect(200);
      const platform = await withClient(db.ownerUrl, (c) =>
        c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fraudguard-platform'`),
      );
      expect(platform.rows[0].n).toBe(0);
    } finally {
      await app.close();
      await db.drop();
    }
  });
});

describe('admin API (platform operators)', () => {
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;
  const admin = (method: 'get' | 'patch', path: string) => request(t.http)[method](path).set('X-Admin-Token', TOKEN);

  beforeAll(async () => {
    t = await startTestApp({ env: { PLATFORM_ADMIN_TOKEN: TOKEN } });
    a = await seedTenant(t.db.ownerUrl, { scopes: ['read:transactions', 'read:audit'] });
    b = await seedTenant(t.db.ownerUrl, { status: 'TRIAL', trialEndsAt: new Date(Date.now() - 86400_000) });
    await seedDomainRows(t.db.ownerUrl, a.tenantId);
    // The fixture's transaction is inserted behind ingest's back: counted here as ingest counts it
    // (usage is the quota's slot counters, summed).
    await withClient(t.db.ownerUrl, (client) =>
      client.query(`INSERT INTO tenant_monthly_usage (tenant_id, month, slot, transactions) VALUES ($1, (date_trunc('month', now() AT TIME ZONE 'UTC'))::date, 3, 1)`, [a.tenantId]),
    );
  });
  afterAll(() => t.close());

  it('refuses tenant credentials and wrong tokens on every admin route', async () => {
    for (const [method, path] of ADMIN_ROUTES) {
      const attempts = [
        request(t.http)[method](path(a.tenantId)),
        request(t.http)[method](path(a.tenantId)).set('X-API-Key', a.apiKey),
        request(t.http)[method](path(a.tenantId)).set('Authorization', `Bearer ${TOKEN}`),
        request(t.http)[method](path(a.tenantId)).set('X-Admin-Token', TOKEN + 'x'),
        request(t.http)[method](path(a.tenantId)).set('X-Admin-Token', TOKEN.slice(0, -1)).set('X-API-Key', a.apiKey),
      ];
      for (const attempt of attempts) {
        const res = await attempt.send({ status: 'SUSPENDED' }).expect(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.type).toMatch(/invalid-admin-token$/);
      }
    }
    const still = await admin('get', `/api/v1/admin/tenants/${a.tenantId}`).expect(200);
    expect(still.body.status).toBe('ACTIVE');
  });

  it('works through its own small pool (fraudguard-platform, the owner URL, at most 2 connections)', async () => {
    await Promise.all([1, 2, 3, 4].map(() => admin('get', '/api/v1/admin/tenants?limit=1').expect(200)));
    const sessions = await withClient(t.db.ownerUrl, (c) =>
      c
        .query(`SELECT usename FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fraudguard-platform'`)
        .then((r) => r.rows),
    );
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    expect(sessions.length).toBeLessThanOrEqual(2);
    expect(new Set(sessions.map((session) => session.usename))).toEqual(new Set([new URL(t.db.ownerUrl).username]));
  });

  it('lists every tenant with its usage, paginated', async () => {
    const first = await admin('get', '/api/v1/admin/tenants?limit=1').expect(200);
    expect(first.body.data).toHaveLength(1);
    expect(first.body.has_more).toBe(true);
    const all: any[] = [...first.body.data];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const next = await admin('get', `/api/v1/admin/tenants?limit=1&starting_after=${cursor}`).expect(200);
      all.push(...next.body.data);
      cursor = next.body.next_cursor;
    }
    const ids = all.map((tenant) => tenant.tenant_id);
    expect(ids).toEqual(expect.arrayContaining([a.tenantId, b.tenantId, 'default-tenant-001']));
    expect(all.find((tenant) => tenant.tenant_id === a.tenantId).usage).toEqual({
      active_users: 0,
      active_api_keys: 1,
      accounts: 1,
      transactions_this_month: 1,
      open_alerts: 1,
    });
    const trials = await admin('get', '/api/v1/admin/tenants?status=TRIAL').expect(200);
    expect(trials.body.data.map((tenant: any) => tenant.tenant_id)).toContain(b.tenantId);
    expect(trials.body.data.every((tenant: any) => tenant.status === 'TRIAL')).toBe(true);
  });

  it('answers one tenant, 404 for an unknown one and 400 for a malformed id', async () => {
    const one = await admin('get', `/api/v1/admin/tenants/${a.tenantId}`).expect(200);
    expect(one.body).toMatchObject({ tenant_id: a.tenantId, plan: 'STARTER', usage: { accounts: 1 } });
    await admin('get', '/api/v1/admin/tenants/no-such-tenant').expect(404);
    await admin('get', `/api/v1/admin/tenants/${encodeURIComponent('bad id;')}`).expect(400);
  });

  it('suspends and reactivates: the tenant is refused at once, and both actions land in its audit trail', async () => {
    const suspended = await admin('patch', `/api/v1/admin/tenants/${a.tenantId}`)
      .set('User-Agent', 'ops-console')
      .send({ status: 'SUSPENDED', reason: 'chargeback investigation' })
      .expect(200);
    expect(suspended.body.status).toBe('SUSPENDED');
    await eventually(async () => (await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', a.apiKey)).status === 403);
    const refused = await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', a.apiKey).expect(403);
    expect(refused.body.type).toMatch(/tenant-suspended$/);

    await admin('patch', `/api/v1/admin/tenants/${a.tenantId}`).send({ status: 'ACTIVE' }).expect(200);
    await eventually(async () => (await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', a.apiKey)).status === 200);

    const trail = await request(t.http).get('/api/v1/audit-logs?resource_type=tenant').set('X-API-Key', a.apiKey).expect(200);
    expect(trail.body.data.map((row: any) => row.action)).toEqual(['tenant.reactivated', 'tenant.suspended']);
    expect(trail.body.data[1]).toMatchObject({
      resource_id: a.tenantId,
      severity: 'WARNING',
      user_agent: 'ops-console',
      old_value: { status: 'ACTIVE' },
      new_value: { status: 'SUSPENDED', reason: 'chargeback investigation', actor: { operator: 'platform-admin', via: 'admin-api' } },
    });
    await waitForSealed(t.db.ownerUrl, a.tenantId);
    const verify = await request(t.http).get('/api/v1/audit-logs/verify').set('X-API-Key', a.apiKey).expect(200);
    expect(verify.body).toEqual({ valid: true, checked: 2, first_broken_id: null, pending: 0 });
  });

  it('changes the plan (limits follow unless given) and cancels', async () => {
    const pro = await admin('patch', `/api/v1/admin/tenants/${a.tenantId}`).send({ plan: 'PROFESSIONAL', max_users: 30 }).expect(200);
    expect(pro.body).toMatchObject({ plan: 'PROFESSIONAL', max_users: 30, max_transactions_per_month: 1_000_000, max_storage_gb: 100 });
    const cancelled = await admin('patch', `/api/v1/admin/tenants/${a.tenantId}`).send({ status: 'CANCELLED' }).expect(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    const rows = await withClient(t.db.ownerUrl, (c) =>
      c.query(`SELECT action, old_value, new_value FROM audit_logs WHERE tenant_id = $1 ORDER BY id`, [a.tenantId]).then((r) => r.rows),
    );
    expect(rows.map((row) => row.action)).toEqual(['tenant.suspended', 'tenant.reactivated', 'tenant.plan_changed', 'tenant.cancelled']);
    expect(rows[2].old_value).toEqual({ plan: 'STARTER', max_users: 5, max_transactions_per_month: 50000, max_storage_gb: 10 });
  });

  it('extends an expired trial from now, and the tenant can work again', async () => {
    await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', b.apiKey).expect(403);
    const before = Date.now();
    const extended = await admin('patch', `/api/v1/admin/tenants/${b.tenantId}`).send({ extend_trial_days: 7 }).expect(200);
    expect(extended.body.status).toBe('TRIAL');
    const end = new Date(extended.body.trial_ends_at).getTime();
    expect(end).toBeGreaterThanOrEqual(before + 7 * 86400_000 - 1000);
    expect(end).toBeLessThanOrEqual(Date.now() + 7 * 86400_000 + 1000);
    await eventually(async () => (await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', b.apiKey)).status === 200);
    const rows = await withClient(t.db.ownerUrl, (c) => c.query(`SELECT action FROM audit_logs WHERE tenant_id = $1`, [b.tenantId]).then((r) => r.rows));
    expect(rows).toEqual([{ action: 'tenant.trial_extended' }]);
  });

  it('rejects empty, unknown and out-of-range changes with 400 and changes nothing', async () => {
    for (const body of [{}, { reason: 'only a reason' }, { status: 'TRIAL' }, { plan: 'GOLD' }, { max_users: 0 }, { extend_trial_days: 1000 }, { tenant_id: 'x' }]) {
      const res = await admin('patch', `/api/v1/admin/tenants/${b.tenantId}`).send(body).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    await admin('patch', '/api/v1/admin/tenants/no-such-tenant').send({ status: 'SUSPENDED' }).expect(404);
    const rows = await withClient(t.db.ownerUrl, (c) => c.query(`SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = $1`, [b.tenantId]).then((r) => r.rows[0].n));
    expect(rows).toBe(1);
  });
});
