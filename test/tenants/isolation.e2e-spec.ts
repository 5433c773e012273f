import request from 'supertest';
import { login, signupBody } from '../support/accounts.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

interface SignedUp {
  tenantId: string;
  apiKey: string;
  apiKeyId: number;
  adminId: number;
  bearer: string;
}

describe("the seed's isolation tests, through the API and the app role", () => {
  let t: TestApp;
  let one: SignedUp;
  let two: SignedUp;

  async function signup(): Promise<SignedUp> {
    const body = signupBody();
    const res = await request(t.http).post('/api/v1/tenants/signup').send(body).expect(201);
    const session = await login(t.http, body.admin_email, body.admin_password);
    return { tenantId: res.body.tenant_id, apiKey: res.body.api_key, apiKeyId: res.body.api_key_id, adminId: res.body.admin_user.id, bearer: `Bearer ${session.access_token}` };
  }

  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_SECRET: 'isolation-suite-secret-long-enough-012345' } });
    one = await signup();
    two = await signup();
    await request(t.http).post('/api/v1/transactions').set('X-API-Key', one.apiKey)
      .send({ account_ref: 'acct-1', amount: '100.00', currency: 'EUR', merchant: 'Shop' }).expect(201);
    await request(t.http).post('/api/v1/users').set('Authorization', one.bearer)
      .send({ email: `analyst-${Date.now()}@one.example`, password: 'Analyst-Pass-1', full_name: 'Analyst One' }).expect(201);
  });
  afterAll(() => t.close());

  it("test_tenant_isolation: tenant two sees none of tenant one's users, keys, rows or usage", async () => {
    const users = await request(t.http).get('/api/v1/users').set('Authorization', two.bearer).expect(200);
    expect(users.body.data.map((u: { tenant_id: string }) => u.tenant_id)).toEqual([two.tenantId]);
    const keys = await request(t.http).get('/api/v1/api-keys').set('Authorization', two.bearer).expect(200);
    expect(keys.body.data.map((k: { id: number }) => k.id)).toEqual([two.apiKeyId]);
    await request(t.http).get(`/api/v1/users/${one.adminId}`).set('Authorization', two.bearer).expect(404);
    await request(t.http).patch(`/api/v1/users/${one.adminId}`).set('Authorization', two.bearer).send({ role: 'VIEWER' }).expect(404);
    await request(t.http).delete(`/api/v1/api-keys/${one.apiKeyId}`).set('Authorization', two.bearer).expect(404);
    await request(t.http).post(`/api/v1/api-keys/${one.apiKeyId}/roll`).set('Authorization', two.bearer).send({}).expect(404);
    const usageOne = await request(t.http).get('/api/v1/tenants/usage').set('Authorization', one.bearer).expect(200);
    const usageTwo = await request(t.http).get('/api/v1/tenants/usage').set('Authorization', two.bearer).expect(200);
    expect(usageOne.body).toMatchObject({ transactions_this_month: 1, active_users: 2 });
    expect(usageTwo.body).toMatchObject({ transactions_this_month: 0, active_users: 1 });
    const me = await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', two.apiKey).expect(200);
    expect(me.body.tenant_id).toBe(two.tenantId);
    // Nothing of tenant one changed.
    await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', one.apiKey).expect(200);
    const admin = await request(t.http).get(`/api/v1/users/${one.adminId}`).set('Authorization', one.bearer).expect(200);
    expect(admin.body.role).toBe('ADMIN');
  });

  it('test_row_level_security: as the app role, a row written under tenant one is invisible and unwritable under tenant two, and with no tenant', async () => {
    await withClient(t.db.appUrl, async (client) => {
      const asTenant = async <T>(tenantId: string | null, work: () => Promise<T>) => {
        await client.query('BEGIN');
        if (tenantId) await client.query(`SELECT set_config('app.current_tenant', $1, true)`, [tenantId]);
        try {
          return await work();
        } finally {
          await client.query('ROLLBACK');
        }
      };
      const tables = ['tenants', 'tenant_users', 'tenant_api_keys', 'tenant_refresh_tokens', 'tenant_password_resets', 'audit_logs', 'accounts', 'transactions'];
      const counts = async () => {
        const out: Record<string, number> = {};
        for (const table of tables) out[table] = (await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [one.tenantId])).rows[0].n;
        return out;
      };
      const visibleToOne = await asTenant(one.tenantId, counts);
      expect(visibleToOne.tenants).toBe(1);
      expect(visibleToOne.tenant_users).toBe(2);
      expect(visibleToOne.tenant_refresh_tokens).toBeGreaterThan(0);
      const zero = Object.fromEntries(tables.map((table) => [table, 0]));
      expect(await asTenant(two.tenantId, counts)).toEqual(zero);
      expect(await asTenant(null, counts)).toEqual(zero);
      await asTenant(two.tenantId, async () => {
        const updated = await client.query(`UPDATE tenant_users SET role = 'VIEWER' WHERE tenant_id = $1`, [one.tenantId]);
        expect(updated.rowCount).toBe(0);
        await expect(
          client.query(`INSERT INTO tenant_refresh_tokens (tenant_id, user_id, family_id, token_hash, expires_at) VALUES ($1, $2, gen_random_uuid(), 'x', now())`, [one.tenantId, one.adminId]),
        ).rejects.toThrow(/row-level security/);
      });
    });
  });
});
