import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { signupBody } from '../support/accounts.js';
import { INTEGRATOR_FLOW_OK, runIntegratorFlow } from '../support/integrator-flow.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('tenant signup', () => {
  let t: TestApp;
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'fg-outbox-'));

  beforeAll(async () => {
    t = await startTestApp({ env: { MAIL_OUTBOX_DIR: outbox } });
  });
  afterAll(() => t.close());

  it("names the admin with full_name's name everywhere: admin_full_name in, admin_full_name and admin_user.full_name out; admin_name still accepted alone", async () => {
    const res = await request(t.http).post('/api/v1/tenants/signup').send(signupBody({ admin_full_name: 'Ada Lovelace' })).expect(201);
    expect(res.body).toMatchObject({ admin_full_name: 'Ada Lovelace', admin_user: { full_name: 'Ada Lovelace' } });
    expect(res.body).not.toHaveProperty('admin_name');
    const me = await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', res.body.api_key).expect(200);
    expect(me.body).toMatchObject({ admin_full_name: 'Ada Lovelace' });

    const { admin_full_name: _, ...legacy } = signupBody({ admin_name: 'Grace Hopper' });
    const old = await request(t.http).post('/api/v1/tenants/signup').send(legacy).expect(201);
    expect(old.body).toMatchObject({ admin_full_name: 'Grace Hopper', admin_user: { full_name: 'Grace Hopper' } });

    const both = await request(t.http).post('/api/v1/tenants/signup').send(signupBody({ admin_name: 'Ada' })).expect(400);
    expect(both.body.errors).toEqual([{ field: 'admin_name', message: 'admin_name is the former name of admin_full_name: send admin_full_name only' }]);
    const { admin_full_name: __, ...nameless } = signupBody();
    const none = await request(t.http).post('/api/v1/tenants/signup').send(nameless).expect(400);
    expect(none.body.errors.map((e: any) => e.field)).toContain('admin_full_name');
  });

  it('test_create_tenant: creates a TRIAL tenant with the plan limits, an argon2id ADMIN, a default key and audit rows', async () => {
    const body = signupBody({ subdomain: 'TestCorp-Create', plan: 'PROFESSIONAL', admin_phone: '+49 30 1234567' });
    const res = await request(t.http).post('/api/v1/tenants/signup').send(body).expect(201);
    expect(res.body).toMatchObject({
      subdomain: 'testcorp-create',
      status: 'TRIAL',
      plan: 'PROFESSIONAL',
      max_users: 25,
      max_transactions_per_month: 1_000_000,
      max_storage_gb: 100,
      organization_name: body.organization_name,
      admin_email: body.admin_email,
      admin_user: { email: body.admin_email, role: 'ADMIN' },
    });
    expect(res.body.tenant_id).toMatch(/^tenant_[A-Za-z0-9_-]+$/);
    expect(res.body.api_key).toMatch(/^fgk_live_[A-Za-z0-9_-]{43}$/);
    const trialDays = (new Date(res.body.trial_ends_at).getTime() - Date.now()) / 86400_000;
    expect(trialDays).toBeGreaterThan(13.9);
    expect(trialDays).toBeLessThan(14.1);

    await withClient(t.db.ownerUrl, async (client) => {
      const user = await client.query(`SELECT role, password_hash, is_active FROM tenant_users WHERE tenant_id = $1`, [res.body.tenant_id]);
      expect(user.rows).toHaveLength(1);
      expect(user.rows[0].role).toBe('ADMIN');
      expect(user.rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      const keys = await client.query(`SELECT key_hash, key_prefix, scopes, rate_limit_per_minute FROM tenant_api_keys WHERE tenant_id = $1`, [res.body.tenant_id]);
      expect(keys.rows).toHaveLength(1);
      expect(keys.rows[0].scopes).toEqual(['read:transactions', 'write:transactions', 'read:accounts', 'write:accounts', 'read:alerts', 'write:alerts', 'read:audit']);
      expect(keys.rows[0].rate_limit_per_minute).toBe(1000);
      expect(keys.rows[0].key_hash).not.toContain(res.body.api_key);
      expect(res.body.api_key.startsWith(keys.rows[0].key_prefix)).toBe(true);
      const audit = await client.query(`SELECT action, user_id FROM audit_logs WHERE tenant_id = $1 ORDER BY id`, [res.body.tenant_id]);
      expect(audit.rows.map((row) => row.action)).toEqual(['tenant.created', 'user.created', 'api_key.created']);
      expect(audit.rows.every((row) => row.user_id === res.body.admin_user.id)).toBe(true);
    });

    // The welcome mail goes out after commit and never carries the key.
    const file = await waitFor(() => readdirSync(outbox).map((name) => readFileSync(path.join(outbox, name), 'utf8')).find((text) => text.includes(body.admin_email)));
    expect(file).toMatch(/Subject: Welcome to FraudGuard/);
    expect(file).not.toContain(res.body.api_key);
  });

  it('test_signup_flow: the key from signup works at once (GET /tenants/me, POST /transactions), and only for its tenant', async () => {
    const body = signupBody();
    const signup = await request(t.http).post('/api/v1/tenants/signup').send(body).expect(201);
    const me = await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', signup.body.api_key).expect(200);
    expect(me.body).toMatchObject({ tenant_id: signup.body.tenant_id, subdomain: body.subdomain, status: 'TRIAL' });
    expect(me.body).not.toHaveProperty('api_key');
    // The seed's flow: the new key posts a transaction straight away (its account is created on first use).
    const txn = await request(t.http)
      .post('/api/v1/transactions')
      .set('X-API-Key', signup.body.api_key)
      .send({ account_ref: 'customer-1', amount: 1000, currency: 'USD', merchant: 'First Shop' })
      .expect(201);
    expect(txn.body).toMatchObject({ transaction_id: expect.any(String), status: expect.any(String) });
    const read = await request(t.http).get(`/api/v1/transactions/${txn.body.transaction_id}`).set('X-API-Key', signup.body.api_key).expect(200);
    expect(read.body).toMatchObject({ currency: 'USD', merchant: 'First Shop' });
    expect(Number(read.body.amount)).toBe(1000);
    // And the admin can log in with the password given at signup.
    const login = await request(t.http).post('/api/v1/auth/login').send({ email: body.admin_email, password: body.admin_password }).expect(200);
    expect(login.body.user).toMatchObject({ tenant_id: signup.body.tenant_id, role: 'ADMIN' });
  });

  it('the key from signup covers the whole integrator flow: accounts, transactions, alerts and their resolution, the audit trail', async () => {
    const signup = await request(t.http).post('/api/v1/tenants/signup').send(signupBody()).expect(201);
    const server = t.http.listening ? t.http : await new Promise<typeof t.http>((resolve) => t.http.listen(0, '127.0.0.1', () => resolve(t.http)));
    const { port } = server.address() as AddressInfo;
    expect(await runIntegratorFlow(`http://127.0.0.1:${port}`, { 'X-API-Key': signup.body.api_key }, 'signup')).toEqual(INTEGRATOR_FLOW_OK);
  });

  it('answers 409 for a taken subdomain, and an admin e-mail another organization uses like a fresh one', async () => {
    const first = signupBody();
    const created = await request(t.http).post('/api/v1/tenants/signup').send(first).expect(201);
    const sameSubdomain = await request(t.http).post('/api/v1/tenants/signup').send(signupBody({ subdomain: first.subdomain })).expect(409);
    expect(sameSubdomain.body).toMatchObject({ type: expect.stringMatching(/\/subdomain-taken$/), conflicts: ['subdomain'] });
    // Nothing tells the caller that the address already has an account: the same 201 as a new one,
    // and the address's owner hears of it through the welcome mail.
    const since = Date.now();
    const sameEmail = await request(t.http).post('/api/v1/tenants/signup').send(signupBody({ admin_email: first.admin_email.toUpperCase() })).expect(201);
    expect(Object.keys(sameEmail.body).sort()).toEqual(Object.keys(created.body).sort());
    expect(sameEmail.body.tenant_id).not.toBe(created.body.tenant_id);
    const mail = await waitFor(() =>
      readdirSync(outbox)
        .filter((name) => Number(name.split('-')[0]) >= since)
        .map((name) => readFileSync(path.join(outbox, name), 'utf8'))
        .find((text) => text.includes(sameEmail.body.subdomain)),
    );
    expect(mail).toMatch(new RegExp(`To: ${first.admin_email.toUpperCase().replace(/[.+]/g, '\\$&')}`, 'i'));
  });

  it('maps a lost race on the unique constraints to the same 409s', async () => {
    const body = signupBody();
    const results = await Promise.all([1, 2, 3].map(() => request(t.http).post('/api/v1/tenants/signup').send(body)));
    expect(results.map((res) => res.status).sort()).toEqual([201, 409, 409]);
    for (const res of results.filter((r) => r.status === 409)) expect(res.body.type).toMatch(/\/subdomain-taken$/);
  });

  it.each([
    ['a reserved subdomain', { subdomain: 'www' }, 'subdomain'],
    ['another reserved subdomain', { subdomain: 'admin' }, 'subdomain'],
    ['an api subdomain', { subdomain: 'api' }, 'subdomain'],
    ['a subdomain with a dot', { subdomain: 'a.b.c' }, 'subdomain'],
    ['a too short subdomain', { subdomain: 'ab' }, 'subdomain'],
    ['a leading hyphen', { subdomain: '-acme' }, 'subdomain'],
    ['a short password', { admin_password: 'Ab1' }, 'admin_password'],
    ['a password without upper case', { admin_password: 'lowercase123' }, 'admin_password'],
    ['a password without digit', { admin_password: 'NoDigitsHere' }, 'admin_password'],
    ['a common password', { admin_password: 'Password123' }, 'admin_password'],
    ['a bad e-mail', { admin_email: 'not-an-email' }, 'admin_email'],
    ['an unknown plan', { plan: 'FREE' }, 'plan'],
    ['a one-letter organization', { organization_name: 'X' }, 'organization_name'],
    ['an unknown field', { api_key: 'mine' }, 'api_key'],
  ])('refuses %s with 400 naming the field', async (_name, override, field) => {
    const res = await request(t.http).post('/api/v1/tenants/signup').send(signupBody(override)).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('takes admin_password from the body, never from the query string', async () => {
    const { admin_password, ...rest } = signupBody();
    const res = await request(t.http).post(`/api/v1/tenants/signup?admin_password=${admin_password}`).send(rest).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('admin_password');
  });
});

describe('tenant signup when closed or when mail fails', () => {
  it('answers 403 signup-disabled with SIGNUP_ENABLED=false and creates nothing', async () => {
    const t = await startTestApp({ env: { SIGNUP_ENABLED: 'false' } });
    try {
      const body = signupBody();
      const res = await request(t.http).post('/api/v1/tenants/signup').send(body).expect(403);
      expect(res.body.type).toMatch(/\/signup-disabled$/);
      await withClient(t.db.ownerUrl, async (client) => {
        expect((await client.query(`SELECT 1 FROM tenants WHERE subdomain = $1`, [body.subdomain])).rowCount).toBe(0);
      });
    } finally {
      await t.close();
    }
  });

  it('keeps the signup when the welcome mail cannot be sent', async () => {
    const t = await startTestApp({ env: { SMTP_URL: 'smtp://127.0.0.1:1' } });
    try {
      const body = signupBody();
      const res = await request(t.http).post('/api/v1/tenants/signup').send(body).expect(201);
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the failing send run
      await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', res.body.api_key).expect(200);
      await withClient(t.db.ownerUrl, async (client) => {
        expect((await client.query(`SELECT 1 FROM tenants WHERE subdomain = $1`, [body.subdomain])).rowCount).toBe(1);
      });
    } finally {
      await t.close();
    }
  });
});
