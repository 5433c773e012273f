import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { signupBody, seedUser } from '../support/accounts.js';
import { seedTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The configured defaults of every public limit ('' counts as unset). */
const DEFAULT_LIMITS = {
  AUTH_RATE_LIMIT_PER_IP: '',
  LOGIN_RATE_LIMIT_PER_EMAIL: '',
  PASSWORD_RESET_RATE_LIMIT_PER_EMAIL: '',
  SIGNUP_RATE_LIMIT_PER_IP: '',
  SIGNUP_RATE_LIMIT_PER_TARGET: '',
};

/** Polls `probe` until it answers a value (the reset mails are written after the answer). */
async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function expectRateLimited(res: request.Response): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.stringMatching(/\/rate-limited$/), request_id: res.headers['x-request-id'] });
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.headers['ratelimit-policy']).toMatch(/q=\d+;w=\d+/);
  expect(res.headers['ratelimit']).toMatch(/;r=0;t=\d+$/);
}

describe('rate limits of the public routes (defaults, in memory)', () => {
  let t: TestApp;
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'fg-outbox-'));
  beforeAll(async () => {
    t = await startTestApp({ env: { ...DEFAULT_LIMITS, MAIL_OUTBOX_DIR: outbox } });
  });
  afterAll(() => t.close());

  it('turns 40 anonymous logins from one client into 429s once its budget is spent', async () => {
    const statuses: number[] = [];
    let refused: request.Response | undefined;
    for (let i = 0; i < 40; i++) {
      const res = await request(t.http).post('/api/v1/auth/login').send({ email: `nobody-${i}@example.com`, password: 'Wrong-Password-1' });
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
    }
    // 30 at once, then one more every 2 s (GCRA refills continuously).
    expect(statuses.slice(0, 30).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(30).filter((status) => status === 429).length).toBeGreaterThan(0);
    expectRateLimited(refused!);
    expect(refused!.headers['ratelimit-policy']).toContain('"ip";q=30;w=60');
    // The same client's other /auth routes share that budget.
    expectRateLimited(await request(t.http).post('/api/v1/auth/refresh').send({ refresh_token: 'fgr_x' }));
  });
});

describe('rate limits of the public routes (per target, behind a trusted proxy)', () => {
  let t: TestApp;
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'fg-outbox-'));
  beforeAll(async () => {
    // No lockout or slow-down in the way of counting requests.
    t = await startTestApp({ env: { ...DEFAULT_LIMITS, TRUST_PROXY: 'true', MAIL_OUTBOX_DIR: outbox, LOGIN_MAX_FAILURES: '100', LOGIN_SLOWDOWN_MS: '0' } });
  });
  afterAll(() => t.close());
  let client = 0;
  /** Each call from another client address (X-Forwarded-For counts with TRUST_PROXY). */
  const from = (req: request.Test) => req.set('X-Forwarded-For', `198.51.100.${(client = (client + 1) % 250) + 1}`);

  it('bounds the reset mails and audit rows of one victim, whoever asks, and audits the refusals once per window', async () => {
    const victim = await seedTenant(t.db.ownerUrl);
    const user = await seedUser(t.db.ownerUrl, victim.tenantId, { role: 'ADMIN' });
    const since = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await from(request(t.http).post('/api/v1/auth/forgot-password')).send({ email: user.email })).status);
    expect(statuses.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
    expect(statuses.slice(5).every((status) => status === 429)).toBe(true);
    const mails = () => readdirSync(outbox).filter((name) => Number(name.split('-')[0]) >= since && readFileSync(path.join(outbox, name), 'utf8').includes(`To: ${user.email}`));
    await eventually(() => (mails().length >= 5 ? true : undefined));
    const audit = await eventually(async () => {
      const { rows } = await withClient(t.db.ownerUrl, (c) =>
        c.query(`SELECT action, count(*)::int AS n FROM audit_logs WHERE tenant_id = $1 GROUP BY action ORDER BY action`, [victim.tenantId]));
      return rows.find((row) => row.action === 'auth.password_reset_requested')?.n === 5 ? rows : undefined;
    });
    expect(audit).toEqual([
      { action: 'auth.password_reset_requested', n: 5 },
      { action: 'rate_limit.exceeded', n: 1 },
    ]);
    expect(mails()).toHaveLength(5);
  });

  it('bounds logins per e-mail from many addresses, and the IP that counts is the one TRUST_PROXY names', async () => {
    const tenant = await seedTenant(t.db.ownerUrl);
    const user = await seedUser(t.db.ownerUrl, tenant.tenantId);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await from(request(t.http).post('/api/v1/auth/login')).send({ email: user.email.toUpperCase(), password: 'Wrong-Password-1' })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toContain(429);
    const refused = await from(request(t.http).post('/api/v1/auth/login')).send({ email: user.email, password: 'Wrong-Password-1' });
    expectRateLimited(refused);
    expect(refused.headers['ratelimit']).toMatch(/^"email";/);
    // Another e-mail from the same addresses is not affected.
    expect((await from(request(t.http).post('/api/v1/auth/login')).send({ email: 'other@example.com', password: 'Wrong-Password-1' })).status).toBe(401);
  });

  it('stops a signup flood from one client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await request(t.http).post('/api/v1/tenants/signup').set('X-Forwarded-For', '203.0.113.9').send(signupBody())).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
    // The same admin e-mail from many addresses is bounded too.
    const body = signupBody();
    const perEmail: number[] = [];
    for (let i = 0; i < 5; i++) perEmail.push((await from(request(t.http).post('/api/v1/tenants/signup')).send(signupBody({ admin_email: body.admin_email }))).status);
    expect(perEmail).toEqual([201, 201, 201, 429, 429]);
  });
});

describe('rate limits of the public routes in Redis', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('shares the per-e-mail login budget between API processes', async () => {
    const env = { ...DEFAULT_LIMITS, REDIS_URL, TRUST_PROXY: 'true' };
    apps.push(await startTestApp({ env }));
    apps.push(await startTestApp({ env, db: apps[0].db }));
    const email = `shared-budget-${Date.now()}@example.com`;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await request(apps[i % 2].http).post('/api/v1/auth/login').set('X-Forwarded-For', `192.0.2.${i + 1}`).send({ email, password: 'Wrong-Password-1' });
      statuses.push(res.status);
    }
    // Counted apart, each process would allow all twelve (10 per minute each).
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
  });
});
