import { jest } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

describe('Idempotency-Key on create routes', () => {
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t.db.ownerUrl);
    b = await seedTenant(t.db.ownerUrl);
  });
  afterAll(() => t.close());

  const post = (tenant: SeededTenant, url: string, key: string | undefined, body: object) => {
    const req = request(t.http).post(url).set('X-API-Key', tenant.apiKey);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send(body);
  };
  const count = (tenant: SeededTenant, sql: string) =>
    withClient(t.db.ownerUrl, async (client) => (await client.query(sql, [tenant.tenantId])).rows[0].n as number);
  const txnCount = (tenant: SeededTenant) => count(tenant, `SELECT count(*)::int AS n FROM transactions WHERE tenant_id = $1`);

  it('replays the stored response for the same key and body, writing nothing twice', async () => {
    const body = { account_ref: 'idem', amount: '10.00', currency: 'EUR', merchant: 'M' };
    const first = await post(a, '/api/v1/transactions', 'key-1', body).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // Same body with keys in another order is the same request.
    const again = await post(a, '/api/v1/transactions', 'key-1', { merchant: 'M', currency: 'EUR', amount: '10.00', account_ref: 'idem' }).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await txnCount(a)).toBe(1);
    expect(await count(a, `SELECT sum(transactions)::int AS n FROM tenant_monthly_usage WHERE tenant_id = $1`)).toBe(1);
    expect(await count(a, `SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = $1 AND action = 'transaction.create'`)).toBe(1);
  });

  it('answers 422 for the same key with a different body or route', async () => {
    await post(a, '/api/v1/transactions', 'key-2', { account_ref: 'idem', amount: 5, currency: 'EUR', merchant: 'M' }).expect(201);
    const res = await post(a, '/api/v1/transactions', 'key-2', { account_ref: 'idem', amount: 6, currency: 'EUR', merchant: 'M' }).expect(422);
    expect(res.body.type).toMatch(/\/idempotency-key-reused$/);
    await post(a, '/api/v1/accounts', 'key-2', { external_ref: 'other' }).expect(422);
  });

  it('keeps keys per tenant', async () => {
    const before = await txnCount(b);
    await post(b, '/api/v1/transactions', 'key-1', { account_ref: 'idem', amount: '10.00', currency: 'EUR', merchant: 'M' }).expect(201);
    expect(await txnCount(b)).toBe(before + 1);
  });

  it('answers 409 while a request with the same key is in flight, and proceeds once it is done', async () => {
    const holder = new pg.Client({ connectionString: t.db.ownerUrl });
    await holder.connect();
    try {
      // What a running request with this key holds: its transaction-scoped lock on (tenant, key).
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [a.tenantId, 'key-3']);
      const started = Date.now();
      const res = await post(a, '/api/v1/transactions', 'key-3', { account_ref: 'idem', amount: 7, currency: 'EUR', merchant: 'M' }).expect(409);
      expect(Date.now() - started).toBeLessThan(2000); // refused at once, not after a lock wait
      expect(res.body.type).toMatch(/\/idempotency-in-flight$/);
      expect(res.headers['retry-after']).toBe('1');
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    await post(a, '/api/v1/transactions', 'key-3', { account_ref: 'idem', amount: 7, currency: 'EUR', merchant: 'M' }).expect(201);
  });

  it('lets concurrent requests with one key write exactly once: each gets the result or 409', async () => {
    const before = await txnCount(a);
    const body = { account_ref: 'idem-c', amount: 9, currency: 'EUR', merchant: 'M' };
    const results = await Promise.all(Array.from({ length: 10 }, () => post(a, '/api/v1/transactions', 'key-4', body)));
    const ok = results.filter((res) => res.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(results.every((res) => res.status === 201 || res.status === 409)).toBe(true);
    expect(new Set(ok.map((res) => res.body.transaction_id)).size).toBe(1);
    expect(await txnCount(a)).toBe(before + 1);
  });

  it('stores nothing for a failed request, so the key can be used again', async () => {
    await post(a, '/api/v1/transactions', 'key-5', { account_ref: 'idem', amount: -1, currency: 'EUR', merchant: 'M' }).expect(400);
    await post(a, '/api/v1/transactions', 'key-5', { account_ref: 'idem', amount: 1, currency: 'EUR', merchant: 'M' }).expect(201);
  });

  it('ignores and replaces an expired key', async () => {
    const body = { account_ref: 'idem', amount: 3, currency: 'EUR', merchant: 'M' };
    const first = await post(a, '/api/v1/transactions', 'key-6', body).expect(201);
    await withClient(t.db.ownerUrl, (client) =>
      client.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND idempotency_key = 'key-6'`, [a.tenantId]),
    );
    const second = await post(a, '/api/v1/transactions', 'key-6', { ...body, amount: 4 }).expect(201);
    expect(second.body.transaction_id).not.toBe(first.body.transaction_id);
    const third = await post(a, '/api/v1/transactions', 'key-6', { ...body, amount: 4 }).expect(201);
    expect(third.body.transaction_id).toBe(second.body.transaction_id);
    const kept = await withClient(t.db.ownerUrl, async (client) =>
      (await client.query(`SELECT expires_at - created_at AS ttl FROM idempotency_keys WHERE tenant_id = $1 AND idempotency_key = 'key-6'`, [a.tenantId])).rows[0].ttl,
    );
    expect(kept.hours ?? kept.days * 24).toBeGreaterThanOrEqual(24);
  });

  it('works for accounts and batches too, and refuses a malformed key', async () => {
    const acc = await post(a, '/api/v1/accounts', 'acc-1', { external_ref: 'idem-acc' }).expect(201);
    const accAgain = await post(a, '/api/v1/accounts', 'acc-1', { external_ref: 'idem-acc' }).expect(201);
    expect(accAgain.body.id).toBe(acc.body.id);
    const batch = { transactions: [{ account_ref: 'idem-b', amount: 1, currency: 'EUR', merchant: 'M' }, { account_ref: 'idem-b', amount: 2, currency: 'EUR', merchant: 'M' }] };
    const before = await txnCount(a);
    const first = await post(a, '/api/v1/transactions/batch', 'batch-1', batch).expect(201);
    const second = await post(a, '/api/v1/transactions/batch', 'batch-1', batch).expect(201);
    expect(second.body).toEqual(first.body);
    expect(await txnCount(a)).toBe(before + 2);
    await post(a, '/api/v1/transactions', 'bad key with spaces', { account_ref: 'idem', amount: 1, currency: 'EUR', merchant: 'M' }).expect(400);
    await post(a, '/api/v1/transactions', 'x'.repeat(256), { account_ref: 'idem', amount: 1, currency: 'EUR', merchant: 'M' }).expect(400);
  });

  it('purges expired keys without waiting for one another transaction holds', async () => {
    await withClient(t.db.ownerUrl, (client) =>
      client.query(
        `INSERT INTO idempotency_keys (tenant_id, idempotency_key, request_hash, status_code, response, expires_at)
         SELECT $1, 'old-' || i, repeat('0', 64), 201, '{}', now() - interval '1 hour' FROM generate_series(1, 3) i`,
        [b.tenantId],
      ),
    );
    // A concurrent purge (or a reuse of the expired key) holds one of them until it commits.
    const holder = new pg.Client({ connectionString: t.db.ownerUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT FROM idempotency_keys WHERE tenant_id = $1 AND idempotency_key = 'old-1' FOR UPDATE`, [b.tenantId]);
    const random = jest.spyOn(Math, 'random').mockReturnValue(0); // this request purges
    try {
      await post(b, '/api/v1/transactions', 'purging', { account_ref: 'idem', amount: 1, currency: 'EUR', merchant: 'M' }).timeout(10_000).expect(201);
    } finally {
      random.mockRestore();
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const left = await withClient(t.db.ownerUrl, async (client) =>
      (await client.query(`SELECT idempotency_key FROM idempotency_keys WHERE tenant_id = $1 AND idempotency_key LIKE 'old-%'`, [b.tenantId])).rows,
    );
    expect(left).toEqual([{ idempotency_key: 'old-1' }]); // left for a later purge
  });
});
