import request from 'supertest';
import { login, seedUser } from '../support/accounts.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

describe('PUT /tenants/me and GET /tenants/usage', () => {
  let t: TestApp;
  let a: SeededTenant;
  let bearer: string;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t.db.ownerUrl);
    const admin = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'ADMIN' });
    bearer = `Bearer ${(await login(t.http, admin.email)).access_token}`;
  });
  afterAll(() => t.close());

  const put = (body: unknown) => request(t.http).put('/api/v1/tenants/me').set('Authorization', bearer).send(body as object);

  it('updates the seed TenantUpdate fields, merges ml_config, and audits old and new values of what changed', async () => {
    const res = await put({ organization_name: 'Renamed Org', admin_phone: '+1 555 0100', ml_config: { risk_threshold: 0.85 }, settings: { locale: 'de' } }).expect(200);
    expect(res.body).toMatchObject({
      organization_name: 'Renamed Org',
      admin_phone: '+1 555 0100',
      ml_config: { risk_threshold: 0.85, auto_block: false, notification_email: null },
      settings: { locale: 'de' },
    });
    await put({ ml_config: { auto_block: true, notification_email: 'alerts@example.com' } }).expect(200);
    const cleared = await put({ ml_config: { notification_email: null } }).expect(200);
    expect(cleared.body.ml_config).toEqual({ risk_threshold: 0.85, auto_block: true, notification_email: null });
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT old_value, new_value FROM audit_logs WHERE tenant_id = $1 AND action = 'tenant.updated' ORDER BY id`, [a.tenantId]);
      expect(rows[0].old_value).toMatchObject({ organization_name: expect.stringMatching(/^Org /), admin_phone: null, settings: {} });
      expect(rows[0].new_value).toMatchObject({ organization_name: 'Renamed Org', admin_phone: '+1 555 0100', settings: { locale: 'de' } });
      expect(rows[0].new_value.ml_config.risk_threshold).toBe(0.85);
      expect(rows[0].old_value.ml_config.risk_threshold).toBe(0.7);
      expect(rows).toHaveLength(3);
    });
  });

  it('updates admin_full_name, also under its deprecated name admin_name, and refuses both at once', async () => {
    expect((await put({ admin_full_name: 'Ada Lovelace' }).expect(200)).body).toMatchObject({ admin_full_name: 'Ada Lovelace' });
    const legacy = await put({ admin_name: 'Grace Hopper' }).expect(200);
    expect(legacy.body).toMatchObject({ admin_full_name: 'Grace Hopper' });
    expect(legacy.body).not.toHaveProperty('admin_name');
    const both = await put({ admin_full_name: 'A', admin_name: 'B' }).expect(400);
    expect(both.body.errors.map((e: { field: string }) => e.field)).toEqual(['admin_name']);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT new_value FROM audit_logs WHERE tenant_id = $1 AND action = 'tenant.updated' ORDER BY id DESC LIMIT 1`, [a.tenantId]);
      expect(rows[0].new_value).toEqual({ admin_full_name: 'Grace Hopper' });
    });
  });

  it.each([
    ['risk_threshold above 1', { ml_config: { risk_threshold: 1.5 } }, 'ml_config.risk_threshold'],
    ['risk_threshold below 0', { ml_config: { risk_threshold: -0.1 } }, 'ml_config.risk_threshold'],
    ['risk_threshold as a string', { ml_config: { risk_threshold: '0.5' } }, 'ml_config.risk_threshold'],
    ['auto_block not boolean', { ml_config: { auto_block: 'yes' } }, 'ml_config.auto_block'],
    ['notification_email not an e-mail', { ml_config: { notification_email: 'nope' } }, 'ml_config.notification_email'],
    ['an unknown ml_config key', { ml_config: { surprise: 1 } }, 'ml_config.surprise'],
    ['ml_config not an object', { ml_config: 3 }, 'ml_config'],
    ['a null organization_name', { organization_name: null }, 'organization_name'],
    ['a null admin_email', { admin_email: null }, 'admin_email'],
    ['an unknown field', { status: 'ACTIVE' }, 'status'],
    ['a plan change', { plan: 'ENTERPRISE' }, 'plan'],
  ])('refuses %s with 400 naming the field', async (_name, body, field) => {
    const res = await put(body).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('accepts an admin_email another organization uses: an answer must not tell which addresses have accounts', async () => {
    const b = await seedTenant(t.db.ownerUrl);
    const { rows } = await withClient(t.db.ownerUrl, (client) => client.query(`SELECT admin_email FROM tenants WHERE tenant_id = $1`, [b.tenantId]));
    const res = await put({ admin_email: rows[0].admin_email }).expect(200);
    expect(res.body.admin_email).toBe(rows[0].admin_email);
  });

  it('answers usage with the seed fields and a measured storage_used_gb', async () => {
    const empty = await request(t.http).get('/api/v1/tenants/usage').set('Authorization', bearer).expect(200);
    for (const amount of ['10.00', '20.00']) {
      await request(t.http).post('/api/v1/transactions').set('X-API-Key', a.apiKey)
        .send({ account_ref: 'acct-usage', amount, currency: 'EUR', merchant: 'Shop' }).expect(201);
    }
    const res = await request(t.http).get('/api/v1/tenants/usage').set('Authorization', bearer).expect(200);
    expect(res.body).toMatchObject({
      transactions_this_month: 2,
      transactions_limit: 50_000,
      transactions_percentage: 0,
      active_users: 1,
      users_limit: 5,
      storage_limit_gb: 10,
    });
    expect(res.body.storage_used_gb).toBeGreaterThan(0);
    expect(res.body.storage_used_bytes).toBeGreaterThan(empty.body.storage_used_bytes);
    expect(res.body.storage_used_gb).toBeCloseTo(res.body.storage_used_bytes / 1024 ** 3, 8);
  });
});
