import request from 'supertest';
import { AppProcess, startAppProcess } from '../support/app-process.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const THIS_MONTH = `(date_trunc('month', now() AT TIME ZONE 'UTC'))::date`;

/** A tenant with a monthly quota of `limit`, `used` of it already counted this month (in slot 0). */
async function tenantWithLimit(ownerUrl: string, limit: number, used = 0): Promise<SeededTenant> {
  const tenant = await seedTenant(ownerUrl);
  await withClient(ownerUrl, async (client) => {
    await client.query(`UPDATE tenants SET max_transactions_per_month = $2 WHERE tenant_id = $1`, [tenant.tenantId, limit]);
    if (used) await client.query(`INSERT INTO tenant_monthly_usage (tenant_id, month, slot, transactions) VALUES ($1, ${THIS_MONTH}, 0, $2)`, [tenant.tenantId, used]);
  });
  return tenant;
}

/** Transactions stored for the tenant, and its usage this month (the quota's slots, summed). */
const stored = (ownerUrl: string, tenant: SeededTenant) =>
  withClient(ownerUrl, async (client) => {
    const { rows } = await client.query(
      `SELECT (SELECT count(*) FROM transactions WHERE tenant_id = $1)::int AS txns,
              (SELECT coalesce(sum(transactions), 0) FROM tenant_monthly_usage WHERE tenant_id = $1 AND month = ${THIS_MONTH})::int AS usage`,
      [tenant.tenantId],
    );
    return rows[0];
  });

describe('monthly transaction quota', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const tenantWithLimitHere = (limit: number) => tenantWithLimit(t.db.ownerUrl, limit);
  const one = (tenant: SeededTenant) =>
    request(t.http).post('/api/v1/transactions').set('X-API-Key', tenant.apiKey).send({ account_ref: 'q', amount: 1, currency: 'EUR', merchant: 'M' });
  const batch = (tenant: SeededTenant, n: number) =>
    request(t.http)
      .post('/api/v1/transactions/batch')
      .set('X-API-Key', tenant.apiKey)
      .send({ transactions: Array.from({ length: n }, () => ({ account_ref: 'q', amount: 1, currency: 'EUR', merchant: 'M' })) });
  const storedHere = (tenant: SeededTenant) => stored(t.db.ownerUrl, tenant);

  it('allows the last transaction of the month and refuses the first one over with 429 quota-exceeded', async () => {
    const tenant = await tenantWithLimitHere(3);
    for (let i = 0; i < 3; i++) await one(tenant).expect(201);
    const refused = await one(tenant).expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/\/quota-exceeded$/), status: 429, limit: 3, used: 3, requested: 1 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await storedHere(tenant)).toEqual({ txns: 3, usage: 3 });
    // The refusal is in the tenant's audit trail although its request rolled back.
    const audited = await withClient(t.db.ownerUrl, (client) =>
      client.query(`SELECT new_value, severity, request_id FROM audit_logs WHERE tenant_id = $1 AND action = 'quota.exceeded'`, [tenant.tenantId]));
    expect(audited.rows).toEqual([{ new_value: expect.objectContaining({ limit: 3, used: 3, requested: 1 }), severity: 'WARNING', request_id: refused.body.request_id }]);
  });

  it('counts every item of a batch and refuses a batch straddling the limit whole', async () => {
    const tenant = await tenantWithLimitHere(10);
    await batch(tenant, 6).expect(201);
    const straddling = await batch(tenant, 5).expect(429);
    expect(straddling.body).toMatchObject({ used: 6, requested: 5, limit: 10 });
    expect(await storedHere(tenant)).toEqual({ txns: 6, usage: 6 });
    await batch(tenant, 4).expect(201);
    await one(tenant).expect(429);
    expect(await storedHere(tenant)).toEqual({ txns: 10, usage: 10 });
  });

  it('is exact under concurrency: never more than the limit, whatever the interleaving', async () => {
    const tenant = await tenantWithLimitHere(7);
    const results = await Promise.all(Array.from({ length: 20 }, () => one(tenant)));
    expect(results.filter((res) => res.status === 201)).toHaveLength(7);
    expect(results.filter((res) => res.status === 429)).toHaveLength(13);
    expect(await storedHere(tenant)).toEqual({ txns: 7, usage: 7 });
  });

  it('does not count idempotent replays, and counts per tenant', async () => {
    const tenant = await tenantWithLimitHere(1);
    const other = await tenantWithLimitHere(1);
    const body = { account_ref: 'q', amount: 1, currency: 'EUR', merchant: 'M' };
    await request(t.http).post('/api/v1/transactions').set('X-API-Key', tenant.apiKey).set('Idempotency-Key', 'k').send(body).expect(201);
    await request(t.http).post('/api/v1/transactions').set('X-API-Key', tenant.apiKey).set('Idempotency-Key', 'k').send(body).expect(201);
    await one(other).expect(201);
    expect(await storedHere(tenant)).toEqual({ txns: 1, usage: 1 });
  });

  it('lowering the limit below usage refuses the next request, single or batch', async () => {
    const tenant = await tenantWithLimitHere(100);
    await batch(tenant, 5).expect(201);
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenants SET max_transactions_per_month = 3 WHERE tenant_id = $1`, [tenant.tenantId]));
    const refused = await one(tenant).expect(429);
    expect(refused.body).toMatchObject({ limit: 3, used: 5, requested: 1 });
    await batch(tenant, 1).expect(429);
    expect(await storedHere(tenant)).toEqual({ txns: 5, usage: 5 });
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenants SET max_transactions_per_month = 6 WHERE tenant_id = $1`, [tenant.tenantId]));
    await one(tenant).expect(201);
    expect(await storedHere(tenant)).toEqual({ txns: 6, usage: 6 });
  });

  it('starts a new month from zero: earlier months’ counters do not count', async () => {
    const tenant = await tenantWithLimitHere(2);
    // Two earlier months used up to the limit, as the slots a month change leaves behind.
    await withClient(t.db.ownerUrl, (client) =>
      client.query(
        `INSERT INTO tenant_monthly_usage (tenant_id, month, slot, transactions)
         SELECT $1, (${THIS_MONTH} - make_interval(months => m))::date, s, CASE WHEN s < 2 THEN 1 ELSE 0 END
           FROM generate_series(1, 2) m, generate_series(0, 15) s`,
        [tenant.tenantId],
      ),
    );
    await one(tenant).expect(201);
    await one(tenant).expect(201);
    expect((await one(tenant).expect(429)).body).toMatchObject({ limit: 2, used: 2, requested: 1 });
    expect(await storedHere(tenant)).toEqual({ txns: 2, usage: 2 });
  });
});

/** The quota holds across processes: two deployed API processes share one database. */
describe('monthly transaction quota across two API processes', () => {
  let db: TestDatabase;
  let apps: AppProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    apps = await Promise.all([0, 1].map(() => startAppProcess(db.ownerUrl, { RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'warn' })));
  });
  afterAll(async () => {
    for (const app of apps) {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    await db?.drop();
  });

  // Every request its own accounts: none waits for another's profile locks.
  const item = (ref: string) => ({ account_ref: ref, amount: '1.00', currency: 'EUR', merchant: 'M' });
  async function post(app: AppProcess, tenant: SeededTenant, path: string, body: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${app.baseUrl}/api/v1${path}`, {
      method: 'POST',
      headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }
  const single = (i: number, tenant: SeededTenant) => post(apps[i % 2], tenant, '/transactions', item(`single-${i}`));
  const batchOf = (i: number, tenant: SeededTenant, n: number) =>
    post(apps[i % 2], tenant, '/transactions/batch', { transactions: Array.from({ length: n }, (_, k) => item(`batch-${i}-${k % 10}`)) });
  const statuses = (results: Array<{ status: number }>) => results.map((res) => res.status).sort();

  it('20 parallel single ingests at the boundary create exactly the limit', async () => {
    const tenant = await tenantWithLimit(db.ownerUrl, 1_000, 993);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => single(i, tenant)));
    expect(statuses(results)).toEqual([...Array(7).fill(201), ...Array(13).fill(429)]);
    for (const res of results.filter((r) => r.status === 429)) expect(res.body.type).toMatch(/\/quota-exceeded$/);
    expect(await stored(db.ownerUrl, tenant)).toEqual({ txns: 7, usage: 1_000 });
  });

  it('parallel batches and single ingests at the boundary create exactly the limit', async () => {
    const tenant = await tenantWithLimit(db.ownerUrl, 30);
    // A refused single means 30 were counted when it was refused; batches of 5 cannot leave a gap either:
    // with every single accepted (20), at most two of the ten batches fit.
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => batchOf(i, tenant, 5)),
      ...Array.from({ length: 20 }, (_, i) => single(i, tenant)),
    ]);
    const created = results.filter((res) => res.status === 201).reduce((sum, res) => sum + (res.body.count ?? 1), 0);
    expect(results.every((res) => res.status === 201 || res.status === 429)).toBe(true);
    expect(created).toBe(30);
    expect(await stored(db.ownerUrl, tenant)).toEqual({ txns: 30, usage: 30 });
  });

  it('batches of 1,000 go from far below the limit (no waiting) to exactly the limit', async () => {
    // Fast path while usage + 1,000 + 15,000 ≤ 20,000, then the exact one: 18 of the 20 batches fit.
    const tenant = await tenantWithLimit(db.ownerUrl, 20_000, 2_000);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => batchOf(i, tenant, 1_000)));
    expect(statuses(results)).toEqual([...Array(18).fill(201), ...Array(2).fill(429)]);
    expect((await single(0, tenant)).status).toBe(429);
    expect(await stored(db.ownerUrl, tenant)).toEqual({ txns: 18_000, usage: 20_000 });
  });
});
