import request from 'supertest';
import { login, PASSWORD, seedUser } from '../support/accounts.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

describe('users', () => {
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;
  let adminBearer: string;
  let adminId: number;

  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_SECRET: 'users-suite-secret-that-is-long-enough-1234' } });
    a = await seedTenant(t.db.ownerUrl);
    b = await seedTenant(t.db.ownerUrl);
    const admin = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'ADMIN' });
    adminId = admin.id;
    adminBearer = `Bearer ${(await login(t.http, admin.email)).access_token}`;
  });
  afterAll(() => t.close());

  const asAdmin = (r: request.Test) => r.set('Authorization', adminBearer);

  it('creates a user (argon2id, default role ANALYST), audits it, and the new user can log in', async () => {
    const email = `new-${Date.now()}@Example.com`;
    const res = await asAdmin(request(t.http).post('/api/v1/users')).send({ email, password: 'Welcome-Aboard-1', full_name: 'New Person' }).expect(201);
    expect(res.body).toMatchObject({ email: email.toLowerCase(), role: 'ANALYST', is_active: true, tenant_id: a.tenantId });
    expect(res.body).not.toHaveProperty('password_hash');
    await login(t.http, email, 'Welcome-Aboard-1');
    const dup = await asAdmin(request(t.http).post('/api/v1/users')).send({ email, password: 'Welcome-Aboard-1', full_name: 'Again' }).expect(409);
    expect(dup.body.type).toMatch(/\/email-taken$/);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT user_id, new_value FROM audit_logs WHERE tenant_id = $1 AND action = 'user.created' AND resource_id = $2`, [a.tenantId, String(res.body.id)]);
      expect(rows).toEqual([{ user_id: adminId, new_value: { email: email.toLowerCase(), role: 'ANALYST', full_name: 'New Person' } }]);
    });
  });

  it('answers POST with the user as GET shows it: an integer id, full_name, the organization id, created_at', async () => {
    const created = await asAdmin(request(t.http).post('/api/v1/users'))
      .send({ email: `shape-${Date.now()}@example.com`, password: 'Welcome-Aboard-1', full_name: 'Shape Person' })
      .expect(201);
    expect(Number.isInteger(created.body.id)).toBe(true);
    expect(created.body).toMatchObject({ tenant_id: a.tenantId, full_name: 'Shape Person', created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/) });
    expect(Object.keys(created.body).filter((key) => /name/.test(key))).toEqual(['full_name']);
    const shown = await asAdmin(request(t.http).get(`/api/v1/users/${created.body.id}`)).expect(200);
    expect(shown.body).toEqual(created.body);
  });

  it('validates bodies and ids: 400 on garbage, 404 for another tenant', async () => {
    await asAdmin(request(t.http).post('/api/v1/users')).send({ email: 'x@example.com', password: 'weak', full_name: 'X' }).expect(400);
    await asAdmin(request(t.http).post('/api/v1/users')).send({ email: 'x@example.com', password: 'Welcome-Aboard-1', full_name: 'X', role: 'ROOT' }).expect(400);
    for (const id of ['abc', '1.5', '-1', '0', '99999999999', '1e3', '0x10', '007']) {
      const res = await asAdmin(request(t.http).get(`/api/v1/users/${id}`));
      expect({ id, status: res.status }).toEqual({ id, status: 400 });
      expect(res.body.errors).toEqual([{ field: 'id', message: 'id must be a positive integer' }]);
    }
    const foreign = await seedUser(t.db.ownerUrl, b.tenantId);
    await asAdmin(request(t.http).get(`/api/v1/users/${foreign.id}`)).expect(404);
    await asAdmin(request(t.http).patch(`/api/v1/users/${foreign.id}`)).send({ role: 'VIEWER' }).expect(404);
    await asAdmin(request(t.http).delete(`/api/v1/users/${foreign.id}`)).expect(404);
    await asAdmin(request(t.http).get(`/api/v1/users/999999`)).expect(404);
  });

  it('lists users of the tenant only, with cursor pagination; a tampered cursor is 400', async () => {
    for (let i = 0; i < 3; i++) await seedUser(t.db.ownerUrl, a.tenantId);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await asAdmin(request(t.http).get('/api/v1/users')).query({ limit: 2, ...(cursor ? { starting_after: cursor } : {}) }).expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      for (const user of res.body.data) {
        expect(user.tenant_id).toBe(a.tenantId);
        seen.push(user.id);
      }
      cursor = res.body.next_cursor;
      expect(res.body.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(new Set(seen).size).toBe(seen.length);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM tenant_users WHERE tenant_id = $1`, [a.tenantId]);
      expect(seen.length).toBe(rows[0].n);
    });
    await asAdmin(request(t.http).get('/api/v1/users')).query({ starting_after: 'WzFd.forged' }).expect(400);
    await asAdmin(request(t.http).get('/api/v1/users')).query({ limit: 101 }).expect(400);
  });

  it('updates role and name with an audit of old and new values; DELETE deactivates and ends the sessions', async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'VIEWER' });
    const session = await login(t.http, user.email);
    const own = `Bearer ${session.access_token}`;
    await request(t.http).get('/api/v1/users').set('Authorization', own).expect(403); // VIEWER
    const res = await asAdmin(request(t.http).patch(`/api/v1/users/${user.id}`)).send({ role: 'MANAGER', full_name: 'Promoted' }).expect(200);
    expect(res.body).toMatchObject({ role: 'MANAGER', full_name: 'Promoted' });
    await request(t.http).get('/api/v1/users').set('Authorization', own).expect(200); // the new role, at once, same token
    await asAdmin(request(t.http).delete(`/api/v1/users/${user.id}`)).expect(204);
    await request(t.http).get('/api/v1/users').set('Authorization', own).expect(401); // refused at its next request
    const after = await asAdmin(request(t.http).get(`/api/v1/users/${user.id}`)).expect(200);
    expect(after.body.is_active).toBe(false);
    await request(t.http).post('/api/v1/auth/refresh').send({ refresh_token: session.refresh_token }).expect(401);
    await request(t.http).post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(
        `SELECT action, old_value, new_value FROM audit_logs WHERE tenant_id = $1 AND resource_type = 'user' AND resource_id = $2 AND action LIKE 'user.%' ORDER BY id`,
        [a.tenantId, String(user.id)]);
      expect(rows).toEqual([
        { action: 'user.updated', old_value: { role: 'VIEWER', full_name: 'Fixture' }, new_value: { role: 'MANAGER', full_name: 'Promoted' } },
        { action: 'user.deactivated', old_value: { is_active: true }, new_value: { is_active: false } },
      ]);
    });
  });

  it('never demotes or deactivates the last active ADMIN (409), also not oneself', async () => {
    const tenant = await seedTenant(t.db.ownerUrl);
    const only = await seedUser(t.db.ownerUrl, tenant.tenantId, { role: 'ADMIN' });
    const bearer = `Bearer ${(await login(t.http, only.email)).access_token}`;
    const demote = await request(t.http).patch(`/api/v1/users/${only.id}`).set('Authorization', bearer).send({ role: 'MANAGER' }).expect(409);
    expect(demote.body.type).toMatch(/\/last-admin$/);
    await request(t.http).delete(`/api/v1/users/${only.id}`).set('Authorization', bearer).expect(409);
    await request(t.http).patch(`/api/v1/users/${only.id}`).set('Authorization', bearer).send({ is_active: false }).expect(409);
    // With a second admin, one may step down; then the other is the last one.
    const second = await seedUser(t.db.ownerUrl, tenant.tenantId, { role: 'ADMIN' });
    await request(t.http).patch(`/api/v1/users/${only.id}`).set('Authorization', bearer).send({ role: 'MANAGER' }).expect(200);
    const secondBearer = `Bearer ${(await login(t.http, second.email)).access_token}`;
    await request(t.http).delete(`/api/v1/users/${second.id}`).set('Authorization', secondBearer).expect(409);
    // Two concurrent demotions of the last two admins: exactly one wins.
    const third = await seedUser(t.db.ownerUrl, tenant.tenantId, { role: 'ADMIN' });
    const results = await Promise.all([second.id, third.id].map((id) => request(t.http).patch(`/api/v1/users/${id}`).set('Authorization', secondBearer).send({ role: 'VIEWER' })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('enforces the plan max_users (403 plan-limit), also when reactivating, and under concurrency', async () => {
    const tenant = await seedTenant(t.db.ownerUrl);
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenants SET max_users = 3 WHERE tenant_id = $1`, [tenant.tenantId]));
    const admin = await seedUser(t.db.ownerUrl, tenant.tenantId, { role: 'ADMIN' });
    const dormant = await seedUser(t.db.ownerUrl, tenant.tenantId, { isActive: false });
    const bearer = `Bearer ${(await login(t.http, admin.email)).access_token}`;
    const create = (i: number) =>
      request(t.http).post('/api/v1/users').set('Authorization', bearer).send({ email: `cap-${i}-${Date.now()}@example.com`, password: 'Welcome-Aboard-1', full_name: 'Cap' });
    const results = await Promise.all([1, 2, 3].map(create));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 403]);
    const refused = results.find((r) => r.status === 403)!;
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/\/plan-limit$/), max_users: 3 });
    await request(t.http).patch(`/api/v1/users/${dormant.id}`).set('Authorization', bearer).send({ is_active: true }).expect(403);
  });

  it('GET /users/me and POST /users/me/password for the caller; the old password and other sessions stop working', async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'VIEWER' });
    const session = await login(t.http, user.email);
    const other = await login(t.http, user.email);
    const bearer = `Bearer ${session.access_token}`;
    const me = await request(t.http).get('/api/v1/users/me').set('Authorization', bearer).expect(200);
    expect(me.body).toMatchObject({ id: user.id, role: 'VIEWER' });
    const wrong = await request(t.http).post('/api/v1/users/me/password').set('Authorization', bearer).send({ current_password: 'Nope-Nope-1', new_password: 'Fresh-Password-5' }).expect(400);
    expect(wrong.body.type).toMatch(/\/invalid-current-password$/);
    await request(t.http).post('/api/v1/users/me/password').set('Authorization', bearer).send({ current_password: PASSWORD, new_password: 'qwerty123' }).expect(400);
    await request(t.http).post('/api/v1/users/me/password').set('Authorization', bearer).send({ current_password: PASSWORD, new_password: 'Fresh-Password-5' }).expect(204);
    await request(t.http).post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    await login(t.http, user.email, 'Fresh-Password-5');
    await request(t.http).post('/api/v1/auth/refresh').send({ refresh_token: other.refresh_token }).expect(401);
  });

  it('refuses /users/me to API keys (there is no user behind a key)', async () => {
    await request(t.http).get('/api/v1/users/me').set('X-API-Key', a.apiKey).expect(403);
    await request(t.http).post('/api/v1/users/me/password').set('X-API-Key', a.apiKey).send({}).expect(403);
  });
});
