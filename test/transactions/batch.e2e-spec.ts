import request from 'supertest';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

describe('POST /transactions/batch', () => {
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;
  let bAccountId: string;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t.db.ownerUrl, { plan: 'ENTERPRISE' });
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenants SET max_transactions_per_month = 1000000 WHERE tenant_id = $1`, [a.tenantId]));
    b = await seedTenant(t.db.ownerUrl);
    bAccountId = (await seedDomainRows(t.db.ownerUrl, b.tenantId)).accountId;
  });
  afterAll(() => t.close());

  const batch = (tenant: SeededTenant, transactions: unknown) =>
    request(t.http).post('/api/v1/transactions/batch').set('X-API-Key', tenant.apiKey).send({ transactions });
  const counts = (tenant: SeededTenant) =>
    withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(
        `SELECT (SELECT count(*) FROM transactions WHERE tenant_id = $1)::int AS txns,
                (SELECT count(*) FROM accounts WHERE tenant_id = $1)::int AS accounts,
                (SELECT count(*) FROM fraud_alerts WHERE tenant_id = $1)::int AS alerts,
                (SELECT coalesce(sum(transactions), 0) FROM tenant_monthly_usage WHERE tenant_id = $1)::int AS usage`,
        [tenant.tenantId],
      );
      return rows[0];
    });
  const item = (i: number, extra: object = {}) => ({ account_ref: `acc-${i % 50}`, amount: (i % 90) + 10.25, currency: 'EUR', merchant: `M${i % 7}`, country: 'DE', ...extra });

  it('ingests 1000 transactions in one request, scored, with one audit row', async () => {
    const before = await counts(a);
    const res = await batch(a, Array.from({ length: 1000 }, (_, i) => item(i))).expect(201);
    expect(res.body.count).toBe(1000);
    expect(res.body.data).toHaveLength(1000);
    expect(res.body.data[0]).toMatchObject({ transaction_id: expect.any(String), status: expect.any(String), risk_score: expect.any(Number), reasons: expect.any(Array) });
    const after = await counts(a);
    expect(after.txns - before.txns).toBe(1000);
    expect(after.accounts - before.accounts).toBe(50);
    expect(after.usage - before.usage).toBe(1000);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT new_value FROM audit_logs WHERE tenant_id = $1 AND action = 'transaction.batch_create'`, [a.tenantId]);
      expect(rows).toHaveLength(1);
      expect(rows[0].new_value).toMatchObject({ count: 1000 });
    });
  });

  it("answers each item's index and external_id, in the order sent, and the transactions as GET shows them", async () => {
    const res = await batch(a, [item(1, { external_id: 'idx-a' }), item(2), item(3, { external_id: 'idx-c', amount: '7.5' })]).expect(201);
    expect(res.body.data.map((x: any) => [x.index, x.external_id])).toEqual([[0, 'idx-a'], [1, null], [2, 'idx-c']]);
    expect(Object.keys(res.body.data[0]).sort()).toEqual(['alert_id', 'external_id', 'index', 'reasons', 'risk_level', 'risk_score', 'status', 'transaction_id']);
    const third = await request(t.http).get(`/api/v1/transactions/${res.body.data[2].transaction_id}`).set('X-API-Key', a.apiKey).expect(200);
    expect(third.body).toMatchObject({ external_id: 'idx-c', account_ref: 'acc-3', amount: '7.50', status: res.body.data[2].status, risk_score: res.body.data[2].risk_score });
  });

  it('scores items against earlier items of the same batch (velocity, first-time rules)', async () => {
    const now = Date.now();
    const items = Array.from({ length: 6 }, (_, i) => ({ account_ref: 'burst-acc', amount: 20, currency: 'EUR', merchant: 'Kiosk', txn_time: new Date(now - (6 - i) * 30_000).toISOString() }));
    items.push({ account_ref: 'burst-acc', amount: 20, currency: 'EUR', merchant: 'Elsewhere', txn_time: new Date(now).toISOString() });
    const res = await batch(a, items).expect(201);
    expect(res.body.data[0].reasons).toEqual([]);
    expect(res.body.data[4].reasons.map((r: any) => r.rule)).toEqual(['VELOCITY_BURST']);
    expect(res.body.data[6].reasons.map((r: any) => r.rule)).toEqual(['VELOCITY_BURST', 'NEW_MERCHANT']);
    // Each stored row holds its own item's reasons and risk (they travel to the database as separate documents).
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT id, reasons, risk_score::float8 AS risk_score FROM transactions WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
        a.tenantId,
        res.body.data.map((d: any) => d.transaction_id),
      ]);
      const stored = new Map(rows.map((row) => [row.id, row]));
      for (const d of res.body.data) expect(stored.get(d.transaction_id)).toMatchObject({ reasons: d.reasons, risk_score: d.risk_score });
    });
  });

  it('refuses the whole batch with per-item errors by index, writing nothing', async () => {
    const before = await counts(a);
    const items = Array.from({ length: 20 }, (_, i) => item(i));
    items[3] = item(3, { amount: '1.999' });
    items[13] = item(13, { currency: 'XXX', merchant: '' });
    items[17] = { ...item(17), tenant_id: b.tenantId } as any;
    const res = await batch(a, items).expect(400);
    const fields = res.body.errors.map((e: any) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['transactions.3.amount', 'transactions.13.currency', 'transactions.13.merchant', 'transactions.17.tenant_id']));
    expect(fields.every((field: string) => /^transactions\.(3|13|17)\./.test(field))).toBe(true);
    expect(await counts(a)).toEqual(before);
  });

  it('refuses empty, oversized and non-array batches', async () => {
    await batch(a, []).expect(400);
    const tooMany = await batch(a, Array.from({ length: 1001 }, (_, i) => ({ account_ref: 'a', amount: 1, currency: 'EUR', merchant: 'M', i })));
    expect(tooMany.status).toBeGreaterThanOrEqual(400);
    expect(tooMany.status).toBeLessThan(500);
    await batch(a, { not: 'an array' }).expect(400);
    await batch(a, [1, 'x']).expect(400);
  });

  it("refuses another tenant's or an unknown account_id (404, by index) and duplicate external_ids (409), writing nothing", async () => {
    const before = await counts(a);
    const foreign = await batch(a, [item(1), { account_id: bAccountId, amount: 1, currency: 'EUR', merchant: 'M' }]).expect(404);
    expect(foreign.body.errors).toEqual([{ field: 'transactions.1.account_id', message: 'account not found' }]);
    const dupInBatch = await batch(a, [item(1, { external_id: 'e-1' }), item(2, { external_id: 'e-1' })]).expect(409);
    expect(dupInBatch.body.errors).toEqual([{ field: 'transactions.1.external_id', message: 'repeats transactions.0.external_id' }]);
    await batch(a, [item(1, { external_id: 'e-2' })]).expect(201);
    const dupStored = await batch(a, [item(1, { external_id: 'e-3' }), item(2, { external_id: 'e-2' })]).expect(409);
    expect(dupStored.body.errors).toEqual([{ field: 'transactions.1.external_id', message: 'a transaction with this external_id already exists' }]);
    const after = await counts(a);
    expect(after.txns - before.txns).toBe(1);
    expect(after.usage - before.usage).toBe(1);
  });

  it('raises alerts for items over the threshold', async () => {
    const c = await seedTenant(t.db.ownerUrl);
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenants SET ml_config = '{"risk_threshold": 0.2, "auto_block": true}' WHERE tenant_id = $1`, [c.tenantId]));
    const res = await batch(c, [
      { account_ref: 'x', amount: 10.5, currency: 'EUR', merchant: 'M' },
      { account_ref: 'x', amount: 10.5, currency: 'EUR', merchant: 'Casino', merchant_category: '7995' },
    ]).expect(201);
    expect(res.body).toMatchObject({ count: 2, alerts: 1, blocked: 1 });
    expect(res.body.data[0].alert_id).toBeNull();
    expect(res.body.data[1]).toMatchObject({ status: 'BLOCKED', alert_id: expect.any(String) });
    await request(t.http).get(`/api/v1/alerts/${res.body.data[1].alert_id}`).set('X-API-Key', c.apiKey).expect(200);
  });
});
