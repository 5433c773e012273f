import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { login, PASSWORD, seedUser, SeededUser } from '../support/accounts.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { resetTokenFor as resetTokenForIn } from '../support/outbox.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

const outbox = mkdtempSync(path.join(os.tmpdir(), 'fg-outbox-'));

const resetTokenFor = (email: string, after: number) => resetTokenForIn(outbox, email, after);

describe('refresh tokens, logout, password reset, lockout', () => {
  let t: TestApp;
  let a: SeededTenant;

  beforeAll(async () => {
    t = await startTestApp({
      env: { MAIL_OUTBOX_DIR: outbox, LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_SECONDS: '2', LOGIN_SLOWDOWN_AFTER: '2', LOGIN_SLOWDOWN_MS: '150' },
    });
    a = await seedTenant(t.db.ownerUrl);
  });
  afterAll(() => t.close());

  const refresh = (token: string) => request(t.http).post('/api/v1/auth/refresh').send({ refresh_token: token });

  it('rotates the refresh token on use; the new pair works, the stored value is a hash', async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId);
    const first = await login(t.http, user.email);
    const second = await refresh(first.refresh_token).expect(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    await request(t.http).get('/api/v1/users/me').set('Authorization', `Bearer ${second.body.access_token}`).expect(200);
    await refresh(second.body.refresh_token).expect(200);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT token_hash FROM tenant_refresh_tokens WHERE tenant_id = $1 AND user_id = $2`, [a.tenantId, user.id]);
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  it('revokes the whole family when a spent refresh token is presented again', async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId);
    const first = await login(t.http, user.email);
    const other = await login(t.http, user.email); // another session of the same user: a different family
    const second = await refresh(first.refresh_token).expect(200);
    const reuse = await refresh(first.refresh_token).expect(401);
    expect(reuse.body.detail).toMatch(/already used/);
    // The thief's or the owner's newer token of that family is dead too …
    await refresh(second.body.refresh_token).expect(401);
    // … but the other session is untouched.
    await refresh(other.refresh_token).expect(200);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT action, severity FROM audit_logs WHERE tenant_id = $1 AND user_id = $2 AND action = 'auth.refresh_token_reused'`, [a.tenantId, user.id]);
      expect(rows).toEqual([{ action: 'auth.refresh_token_reused', severity: 'CRITICAL' }]);
    });
  });

  it('refuses unknown, malformed, forged-tenant and expired refresh tokens with 401', async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId);
    const session = await login(t.http, user.email);
    const b = await seedTenant(t.db.ownerUrl);
    const forged = session.refresh_token.replace(/^fgr_[^.]+/, `fgr_${Buffer.from(b.tenantId).toString('base64url')}`);
    for (const token of ['nonsense', 'fgr_' + 'A'.repeat(10) + '.' + 'B'.repeat(43), forged]) await refresh(token).expect(401);
    await request(t.http).post('/api/v1/auth/refresh').send({}).expect(400);
    await withClient(t.db.ownerUrl, (client) =>
      client.query(`UPDATE tenant_refresh_tokens SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND user_id = $2`, [a.tenantId, user.id]));
    await refresh(session.refresh_token).expect(401);
  });

  it('logs out: the session refresh token stops working; logout is idempotent', async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId);
    const session = await login(t.http, user.email);
    await request(t.http).post('/api/v1/auth/logout').send({ refresh_token: session.refresh_token }).expect(204);
    await refresh(session.refresh_token).expect(401);
    await request(t.http).post('/api/v1/auth/logout').send({ refresh_token: session.refresh_token }).expect(204);
    await request(t.http).post('/api/v1/auth/logout').send({ refresh_token: 'whatever' }).expect(204);
  });

  it('refuses a refresh for a user deactivated since', async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId);
    const session = await login(t.http, user.email);
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenant_users SET is_active = false WHERE tenant_id = $1 AND id = $2`, [a.tenantId, user.id]));
    await refresh(session.refresh_token).expect(401);
  });

  it('forgot-password always answers 202; the mailed token resets the password once, ends sessions, and expires', async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId);
    const session = await login(t.http, user.email);
    const unknown = await request(t.http).post('/api/v1/auth/forgot-password').send({ email: 'nobody@example.com' }).expect(202);
    const before = Date.now() - 1;
    const known = await request(t.http).post('/api/v1/auth/forgot-password').send({ email: user.email }).expect(202);
    expect(known.body).toEqual(unknown.body);
    const token = await resetTokenFor(user.email, before);

    await request(t.http).post('/api/v1/auth/reset-password').send({ token, new_password: 'password' }).expect(400); // rules apply
    await request(t.http).post('/api/v1/auth/reset-password').send({ token, new_password: 'Brand-New-Pass-42' }).expect(204);
    await request(t.http).post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    await login(t.http, user.email, 'Brand-New-Pass-42');
    await refresh(session.refresh_token).expect(401); // sessions from before the reset are over
    const again = await request(t.http).post('/api/v1/auth/reset-password').send({ token, new_password: 'Another-Pass-43' }).expect(400);
    expect(again.body.type).toMatch(/\/invalid-reset-token$/);

    const before2 = Date.now() - 1;
    await request(t.http).post('/api/v1/auth/forgot-password').send({ email: user.email }).expect(202);
    const expiring = await resetTokenFor(user.email, before2);
    await withClient(t.db.ownerUrl, (client) =>
      client.query(`UPDATE tenant_password_resets SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND user_id = $2`, [a.tenantId, user.id]));
    await request(t.http).post('/api/v1/auth/reset-password').send({ token: expiring, new_password: 'Another-Pass-43' }).expect(400);
    await request(t.http).post('/api/v1/auth/reset-password').send({ token: 'fgp_garbage', new_password: 'Another-Pass-43' }).expect(400);
  });

  it('voids outstanding reset tokens and sessions on a password change, a demotion and a deactivation', async () => {
    const admin = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'ADMIN' });
    const adminBearer = `Bearer ${(await login(t.http, admin.email)).access_token}`;
    const forgot = async (email: string) => {
      const before = Date.now() - 1;
      await request(t.http).post('/api/v1/auth/forgot-password').send({ email }).expect(202);
      return resetTokenFor(email, before);
    };
    const reset = (token: string) => request(t.http).post('/api/v1/auth/reset-password').send({ token, new_password: 'Brand-New-Pass-42' });

    // A password change: the reset token asked for before it no longer works.
    const changer = await seedUser(t.db.ownerUrl, a.tenantId);
    const session = await login(t.http, changer.email);
    const stale = await forgot(changer.email);
    await request(t.http).post('/api/v1/users/me/password').set('Authorization', `Bearer ${session.access_token}`)
      .send({ current_password: PASSWORD, new_password: 'Changed-Pass-77' }).expect(204);
    expect((await reset(stale)).status).toBe(400);
    await login(t.http, changer.email, 'Changed-Pass-77');

    // A demotion and a deactivation: the tokens issued before either are void.
    for (const change of [{ role: 'VIEWER' }, { is_active: false }]) {
      const user = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'MANAGER' });
      const before = await login(t.http, user.email);
      const token = await forgot(user.email);
      await request(t.http).patch(`/api/v1/users/${user.id}`).set('Authorization', adminBearer).send(change).expect(200);
      await refresh(before.refresh_token).expect(401);
      expect((await reset(token)).status).toBe(400);
    }
  });

  it('slows down repeated failures, then locks the account (429 + Retry-After, even with the right password), then lets it in again', async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId);
    const fail = async () => {
      const start = Date.now();
      const res = await request(t.http).post('/api/v1/auth/login').send({ email: user.email, password: 'Wrong-Password-1' });
      return { res, ms: Date.now() - start };
    };
    const first = await fail();
    expect(first.res.status).toBe(401);
    const second = await fail();
    expect(second.res.status).toBe(401);
    expect(second.ms).toBeGreaterThanOrEqual(150); // slowed down from the 2nd failure on
    expect((await fail()).res.status).toBe(401); // the 3rd failure locks
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT locked_until FROM tenant_users WHERE tenant_id = $1 AND id = $2`, [a.tenantId, user.id]);
      expect(new Date(rows[0].locked_until).getTime()).toBeGreaterThan(Date.now());
      const audit = await client.query(`SELECT action FROM audit_logs WHERE tenant_id = $1 AND user_id = $2 ORDER BY id`, [a.tenantId, user.id]);
      expect(audit.rows.map((row) => row.action)).toEqual(['auth.login_failed', 'auth.login_failed', 'auth.locked']);
    });
    const locked = await request(t.http).post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(429);
    expect(locked.body.type).toMatch(/\/login-locked$/);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);

    await new Promise((resolve) => setTimeout(resolve, 2100));
    await login(t.http, user.email);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT failed_login_count, locked_until FROM tenant_users WHERE tenant_id = $1 AND id = $2`, [a.tenantId, user.id]);
      expect(rows[0]).toEqual({ failed_login_count: 0, locked_until: null });
    });
  });

  it('locks an unknown e-mail after the same number of failures, so lockout does not reveal which e-mails exist', async () => {
    const email = `ghost-${Date.now()}@example.com`;
    for (let i = 0; i < 3; i++) await request(t.http).post('/api/v1/auth/login').send({ email, password: 'Wrong-Password-1' }).expect(401);
    const locked = await request(t.http).post('/api/v1/auth/login').send({ email, password: 'Wrong-Password-1' }).expect(429);
    expect(locked.body.type).toMatch(/\/login-locked$/);
  });

  it('keeps the lock per account: another account of the tenant logs in meanwhile', async () => {
    const victim: SeededUser = await seedUser(t.db.ownerUrl, a.tenantId);
    const bystander = await seedUser(t.db.ownerUrl, a.tenantId);
    for (let i = 0; i < 3; i++) await request(t.http).post('/api/v1/auth/login').send({ email: victim.email, password: 'Wrong-Password-1' }).expect(401);
    await request(t.http).post('/api/v1/auth/login').send({ email: victim.email, password: PASSWORD }).expect(429);
    await login(t.http, bystander.email);
  });
});

describe('login slow-down without holding a database connection', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { DB_POOL_SIZE: '1', LOGIN_SLOWDOWN_AFTER: '1', LOGIN_SLOWDOWN_MS: '1500', LOGIN_MAX_FAILURES: '10' } });
  });
  afterAll(() => t.close());

  it('serves other requests on a one-connection pool while a failed login is being slowed down', async () => {
    const tenant = await seedTenant(t.db.ownerUrl);
    const user = await seedUser(t.db.ownerUrl, tenant.tenantId);
    const start = Date.now();
    const slowed = request(t.http).post('/api/v1/auth/login').send({ email: user.email, password: 'Wrong-Password-1' }).then((res) => ({ res, at: Date.now() - start }));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the login has failed and is now waiting
    await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', tenant.apiKey).expect(200);
    const servedAt = Date.now() - start;
    const { res, at } = await slowed;
    expect(res.status).toBe(401);
    expect(at).toBeGreaterThanOrEqual(1500);
    expect(servedAt).toBeLessThan(1200);
  });
});
