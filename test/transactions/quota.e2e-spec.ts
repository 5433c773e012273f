import request from 'supertest';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

describe('monthly transaction quota', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function tenantWithLimit(limit: number): Promise<SeededTenant> {
    const tenant = await seedTenant(t.db.ownerUrl);
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenants SET max_transactions_per_month = $2 WHERE tenant_id = $1`, [tenant.tenantId, limit]));
    return tenant;
  }
  const one = (tenant: SeededTenant) =>
    request(t.http).post('/api/v1/transactions').set('X-API-Key', tenant.apiKey).send({ account_ref: 'q', amount: 1, currency: 'EUR', merchant: 'M' });
  const batch = (tenant: SeededTenant, n: number) =>
    request(t.http)
      .post('/api/v1/transactions/batch')
      .set('X-API-Key', tenant.apiKey)
      .send({ transactions: Array.from({ length: n }, () => ({ account_ref: 'q', amount: 1, currency: 'EUR', merchant: 'M' })) });
  const stored = (tenant: SeededTenant) =>
    withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(
        `SELECT (SELECT count(*) FROM transactions WHERE tenant_id = $1)::int AS txns,
                (SELECT coalesce(sum(transactions), 0) FROM tenant_monthly_usage WHERE tenant_id = $1)::int AS usage`,
        [tenant.tenantId],
      );
      return rows[0];
    });

  it('allows the last transaction of the month and refuses the first one over with 429 quota-exceeded', async () => {
    const tenant = await tenantWithLimit(3);
    for (let i = 0; i < 3; i++) await one(tenant).expect(201);
    const refused = await one(tenant).expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/\/quota-exceeded$/), status: 429, limit: 3, used: 3, requested: 1 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await stored(tenant)).toEqual({ txns: 3, usage: 3 });
    // The refusal is in the tenant's audit trail although its request rolled back.
    const audited = await withClient(t.db.ownerUrl, (client) =>
      client.query(`SELECT new_value, severity, request_id FROM audit_logs WHERE tenant_id = $1 AND action = 'quota.exceeded'`, [tenant.tenantId]));
    expect(audited.rows).toEqual([{ new_value: expect.objectContaining({ limit: 3, used: 3, requested: 1 }), severity: 'WARNING', request_id: refused.body.request_id }]);
  });

  it('counts every item of a batch and refuses a batch straddling the limit whole', async () => {
    const tenant = await tenantWithLimit(10);
    await batch(tenant, 6).expect(201);
    const straddling = await batch(tenant, 5).expect(429);
    expect(straddling.body).toMatchObject({ used: 6, requested: 5, limit: 10 });
    expect(await stored(tenant)).toEqual({ txns: 6, usage: 6 });
    await batch(tenant, 4).expect(201);
    await one(tenant).expect(429);
    expect(await stored(tenant)).toEqual({ txns: 10, usage: 10 });
  });

  it('is exact under concurrency: never more than the limit, whatever the interleaving', async () => {
    const tenant = await tenantWithLimit(7);
    const results = await Promise.all(Array.from({ length: 20 }, () => one(tenant)));
    expect(results.filter((res) => res.status === 201)).toHaveLength(7);
    expect(results.filter((res) => res.status === 429)).toHaveLength(13);
    expect(await stored(tenant)).toEqual({ txns: 7, usage: 7 });
  });

  it('does not count idempotent replays, and counts per tenant', async () => {
    const tenant = await tenantWithLimit(1);
    const other = await tenantWithLimit(1);
    const body = { account_ref: 'q', amount: 1, currency: 'EUR', merchant: 'M' };
    await request(t.http).post('/api/v1/transactions').set('X-API-Key', tenant.apiKey).set('Idempotency-Key', 'k').send(body).expect(201);
    await request(t.http).post('/api/v1/transactions').set('X-API-Key', tenant.apiKey).set('Idempotency-Key', 'k').send(body).expect(201);
    await one(other).expect(201);
    expect(await stored(tenant)).toEqual({ txns: 1, usage: 1 });
  });
});
