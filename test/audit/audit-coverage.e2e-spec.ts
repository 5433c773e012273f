import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { signupBody } from '../support/accounts.js';
import { resetTokenFor } from '../support/outbox.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';
import { waitForSealed } from '../support/audit-seal.js';

interface AuditRow {
  action: string;
  user_id: number | null;
  resource_type: string | null;
  resource_id: string | null;
  old_value: any;
  new_value: any;
  severity: string;
}

/**
 * Every state change and security event of the list, done once through the HTTP API:
 * each leaves exactly the expected audit rows, tied to its request, with the right actor — and no
 * secret ever lands in the trail, which still verifies at the end.
 */
describe('audit coverage: one row per audited action, with its actor', () => {
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'fg-audit-outbox-'));
  let t: TestApp;
  let tenantId: string;
  let apiKey: string;
  let adminId: number;
  let bearer: string;
  const secrets: string[] = [];
  const body = signupBody();

  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_SECRET: 'audit-coverage-secret-0123456789abcdefgh', MAIL_OUTBOX_DIR: outbox } });
  });
  afterAll(() => t.close());

  /** The request's audit rows once its work after the answer has committed (polled, up to 10 s). */
  async function rowsAfterAnswer(res: request.Response): Promise<AuditRow[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows = await rowsOf(res);
      if (rows.length > 0 || Date.now() > deadline) return rows;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function rowsOf(res: request.Response): Promise<AuditRow[]> {
    const requestId = res.headers['x-request-id'];
    return withClient(t.db.ownerUrl, async (client) =>
      (await client.query(
        `SELECT action, user_id, resource_type, resource_id, old_value, new_value, severity
           FROM audit_logs WHERE tenant_id = $1 AND request_id = $2 ORDER BY id`,
        [tenantId, requestId],
      )).rows,
    );
  }
  const actions = (rows: AuditRow[]) => rows.map((row) => row.action);

  it('signup writes the tenant, its admin and its first key', async () => {
    const res = await request(t.http).post('/api/v1/tenants/signup').send(body).expect(201);
    tenantId = res.body.tenant_id;
    apiKey = res.body.api_key;
    adminId = res.body.admin_user.id;
    secrets.push(apiKey, body.admin_password);
    expect(actions(await rowsOf(res)).sort()).toEqual(['api_key.created', 'tenant.created', 'user.created']);
  });

  it('login success and failure', async () => {
    const ok = await request(t.http).post('/api/v1/auth/login').send({ email: body.admin_email, password: body.admin_password }).expect(200);
    bearer = `Bearer ${ok.body.access_token}`;
    secrets.push(ok.body.access_token, ok.body.refresh_token);
    expect((await rowsOf(ok)).map((row) => [row.action, row.user_id])).toEqual([['auth.login', adminId]]);
    const bad = await request(t.http).post('/api/v1/auth/login').send({ email: body.admin_email, password: 'Wrong-Password-1' }).expect(401);
    expect(actions(await rowsOf(bad))).toEqual(['auth.login_failed']);
  });

  it('refresh-token reuse and logout', async () => {
    const session = await request(t.http).post('/api/v1/auth/login').send({ email: body.admin_email, password: body.admin_password }).expect(200);
    const spent = session.body.refresh_token;
    const rotated = await request(t.http).post('/api/v1/auth/refresh').send({ refresh_token: spent }).expect(200);
    secrets.push(spent, rotated.body.refresh_token);
    const reuse = await request(t.http).post('/api/v1/auth/refresh').send({ refresh_token: spent }).expect(401);
    expect((await rowsOf(reuse)).map((row) => [row.action, row.severity])).toEqual([['auth.refresh_token_reused', 'CRITICAL']]);
    const other = await request(t.http).post('/api/v1/auth/login').send({ email: body.admin_email, password: body.admin_password }).expect(200);
    const logout = await request(t.http).post('/api/v1/auth/logout').send({ refresh_token: other.body.refresh_token });
    expect(logout.status).toBe(204);
    expect(actions(await rowsOf(logout))).toEqual(['auth.logout']);
  });

  it('password reset requested and done', async () => {
    const before = Date.now();
    const forgot = await request(t.http).post('/api/v1/auth/forgot-password').send({ email: body.admin_email }).expect(202);
    // Forgot-password answers first (the same way for an unknown e-mail), then writes and mails.
    const token = await resetTokenFor(outbox, body.admin_email, before);
    expect(actions(await rowsAfterAnswer(forgot))).toEqual(['auth.password_reset_requested']);
    secrets.push(token);
    const reset = await request(t.http).post('/api/v1/auth/reset-password').send({ token, new_password: 'Brand-New-Pass-7' });
    expect(reset.status).toBeLessThan(300);
    expect(actions(await rowsOf(reset))).toEqual(['auth.password_reset']);
    const again = await request(t.http).post('/api/v1/auth/login').send({ email: body.admin_email, password: 'Brand-New-Pass-7' }).expect(200);
    bearer = `Bearer ${again.body.access_token}`;
  });

  it('user created, changed and deactivated — by the admin', async () => {
    const created = await request(t.http).post('/api/v1/users').set('Authorization', bearer)
      .send({ email: `analyst-${Date.now()}@example.com`, password: 'Analyst-Pass-9', full_name: 'An Analyst' }).expect(201);
    secrets.push('Analyst-Pass-9');
    const id = created.body.id;
    expect((await rowsOf(created)).map((row) => [row.action, row.user_id, row.resource_id])).toEqual([['user.created', adminId, String(id)]]);
    const changed = await request(t.http).patch(`/api/v1/users/${id}`).set('Authorization', bearer).send({ role: 'MANAGER' }).expect(200);
    expect((await rowsOf(changed)).map((row) => [row.action, row.old_value, row.new_value])).toEqual([['user.updated', { role: 'ANALYST' }, { role: 'MANAGER' }]]);
    const gone = await request(t.http).delete(`/api/v1/users/${id}`).set('Authorization', bearer);
    expect(gone.status).toBeLessThan(300);
    expect(actions(await rowsOf(gone))).toEqual(['user.deactivated']);
  });

  it('API key created, rolled and revoked', async () => {
    const created = await request(t.http).post('/api/v1/api-keys').set('Authorization', bearer).send({ key_name: 'ci', scopes: ['read:alerts'] }).expect(201);
    secrets.push(created.body.key);
    expect((await rowsOf(created)).map((row) => [row.action, row.user_id])).toEqual([['api_key.created', adminId]]);
    const rolled = await request(t.http).post(`/api/v1/api-keys/${created.body.id}/roll`).set('Authorization', bearer).send({ grace_seconds: 0 });
    expect(rolled.status).toBeLessThan(300);
    secrets.push(rolled.body.key);
    expect(actions(await rowsOf(rolled))).toEqual(['api_key.rolled']);
    const revoked = await request(t.http).delete(`/api/v1/api-keys/${rolled.body.id}`).set('Authorization', bearer);
    expect(revoked.status).toBeLessThan(300);
    expect(actions(await rowsOf(revoked))).toEqual(['api_key.revoked']);
  });

  it('tenant settings and ml_config changes, with old and new values', async () => {
    const res = await request(t.http).put('/api/v1/tenants/me').set('Authorization', bearer).send({ ml_config: { risk_threshold: 0, auto_block: false } }).expect(200);
    const [row] = await rowsOf(res);
    expect(row.action).toBe('tenant.updated');
    expect(row.old_value.ml_config.risk_threshold).toBe(0.7);
    expect(row.new_value.ml_config.risk_threshold).toBe(0);
  });

  it('ingest (single and batch) by the API key, and the alert handled by a person', async () => {
    const single = await request(t.http).post('/api/v1/transactions').set('X-API-Key', apiKey)
      .send({ account_ref: 'audited', amount: '80.00', currency: 'EUR', merchant: 'Shop' }).expect(201);
    const [ingested] = await rowsOf(single);
    expect(ingested.action).toBe('transaction.create');
    expect(ingested.user_id).toBeNull();
    expect(ingested.new_value.actor).toMatchObject({ api_key_id: expect.any(Number), api_key_prefix: apiKey.slice(0, 16) });

    const batch = await request(t.http).post('/api/v1/transactions/batch').set('X-API-Key', apiKey)
      .send({ transactions: Array.from({ length: 5 }, (_, i) => ({ account_ref: 'audited', amount: `${10 + i}.00`, currency: 'EUR', merchant: 'Shop' })) })
      .expect(201);
    expect((await rowsOf(batch)).map((row) => [row.action, row.new_value.count])).toEqual([['transaction.batch_create', 5]]);

    const handled = await request(t.http).patch(`/api/v1/alerts/${single.body.alert_id}`).set('Authorization', bearer)
      .send({ handled: true, resolution: 'LEGITIMATE', note: 'known customer' }).expect(200);
    const [alert] = await rowsOf(handled);
    expect(alert.action).toBe('alert.update');
    expect(alert.user_id).toBe(adminId);
    expect(alert.old_value).toMatchObject({ handled: false });
    expect(alert.new_value).toMatchObject({ handled: true, resolution: 'LEGITIMATE' });
  });

  it('quota and rate-limit refusals, although their requests roll back', async () => {
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenants SET max_transactions_per_month = 6 WHERE tenant_id = $1`, [tenantId]));
    const quota = await request(t.http).post('/api/v1/transactions').set('X-API-Key', apiKey)
      .send({ account_ref: 'audited', amount: '1.00', currency: 'EUR', merchant: 'Shop' }).expect(429);
    expect(actions(await rowsOf(quota))).toEqual(['quota.exceeded']);

    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenant_api_keys SET rate_limit_per_minute = 1 WHERE tenant_id = $1`, [tenantId]));
    let limited: request.Response | undefined;
    for (let i = 0; i < 5 && !limited; i++) {
      const res = await request(t.http).get('/api/v1/alerts').set('X-API-Key', apiKey);
      if (res.status === 429) limited = res;
    }
    expect(limited).toBeDefined();
    expect(actions(await rowsOf(limited!))).toEqual(['rate_limit.exceeded']);
  });

  it('never stores a secret, and the chain still verifies', async () => {
    const all = await withClient(t.db.ownerUrl, async (client) =>
      JSON.stringify((await client.query(`SELECT old_value, new_value FROM audit_logs WHERE tenant_id = $1`, [tenantId])).rows));
    expect(secrets.filter((secret) => all.includes(secret))).toEqual([]);
    await waitForSealed(t.db.ownerUrl, tenantId);
    const verify = await request(t.http).get('/api/v1/audit-logs/verify').set('Authorization', bearer).expect(200);
    expect(verify.body).toMatchObject({ valid: true, first_broken_id: null, pending: 0 });
    expect(verify.body.checked).toBeGreaterThanOrEqual(20);
  });
});
