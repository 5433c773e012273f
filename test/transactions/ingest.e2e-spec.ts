import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { CURRENCY_MINOR_UNITS } from '../../src/transactions/iso-4217.js';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

describe('transaction ingest, scoring and reads', () => {
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;
  let bRows: { accountId: string; transactionId: string; alertId: string };
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'fg-outbox-'));

  beforeAll(async () => {
    t = await startTestApp({ env: { MAIL_OUTBOX_DIR: outbox } });
    a = await seedTenant(t.db.ownerUrl);
    b = await seedTenant(t.db.ownerUrl);
    bRows = await seedDomainRows(t.db.ownerUrl, b.tenantId);
  });
  afterAll(() => t.close());

  const post = (tenant: SeededTenant, body: object) => request(t.http).post('/api/v1/transactions').set('X-API-Key', tenant.apiKey).send(body);
  const setMlConfig = (tenant: SeededTenant, mlConfig: object) =>
    withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenants SET ml_config = $2 WHERE tenant_id = $1`, [tenant.tenantId, JSON.stringify(mlConfig)]));

  it("behaves like the seed's create_transaction / list_transactions: create by account_ref, then list it", async () => {
    const created = await post(a, { account_ref: 'seed-acc', amount: '12.50', currency: 'EUR', merchant: 'Coffee Shop' }).expect(201);
    expect(created.body).toMatchObject({ id: created.body.transaction_id, account_ref: 'seed-acc', status: 'APPROVED', risk_score: 0, risk_level: 'LOW', reasons: [], alert_id: null });
    const list = await request(t.http).get('/api/v1/transactions').set('X-API-Key', a.apiKey).expect(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ id: created.body.transaction_id, amount: '12.50', currency: 'EUR', merchant: 'Coffee Shop', status: 'APPROVED' });
    expect(list.body.data[0]).not.toHaveProperty('tenant_id');
    expect(list.body.data[0]).not.toHaveProperty('cursor_time');
    // The account was created on first use and is reused afterwards.
    await post(a, { account_ref: 'seed-acc', amount: 3, currency: 'EUR', merchant: 'Coffee Shop' }).expect(201);
    const accounts = await request(t.http).get('/api/v1/accounts?external_ref=seed-acc').set('X-API-Key', a.apiKey).expect(200);
    expect(accounts.body.data).toHaveLength(1);
    const byAccount = await request(t.http).get(`/api/v1/transactions?account_id=${accounts.body.data[0].id}`).set('X-API-Key', a.apiKey).expect(200);
    expect(byAccount.body.data).toHaveLength(2);
  });

  it('creates the account for a new account_ref exactly once under concurrency', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post(a, { account_ref: 'race-acc', amount: 10 + i, currency: 'EUR', merchant: 'Shop' })),
    );
    expect(results.map((res) => res.status)).toEqual(Array(8).fill(201));
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM accounts WHERE tenant_id = $1 AND external_ref = 'race-acc'`, [a.tenantId]);
      expect(rows[0].n).toBe(1);
    });
  });

  it('scores concurrent ingests of one account one after the other: each sees the ones before it', async () => {
    const account = await request(t.http).post('/api/v1/accounts').set('X-API-Key', a.apiKey).send({ external_ref: 'busy-acc' }).expect(201);
    const n = 12;
    // All at one txn_time: the k-th scored sees k earlier ones, so the burst rule fires from the 5th on.
    const txnTime = new Date(Date.now() - 60_000).toISOString();
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post(a, { account_id: account.body.id, amount: 20 + i, currency: 'EUR', merchant: `Shop ${i % 3}`, txn_time: txnTime }),
      ),
    );
    expect(results.map((res) => res.status)).toEqual(Array(n).fill(201));
    const bursts = results.filter((res) => res.body.reasons.some((reason: { rule: string }) => reason.rule === 'VELOCITY_BURST'));
    expect(bursts).toHaveLength(n - 4);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT profile FROM account_profiles WHERE tenant_id = $1 AND account_id = $2`, [a.tenantId, account.body.id]);
      expect(rows[0].profile).toMatchObject({ count: n, merchants: expect.arrayContaining(['Shop 0', 'Shop 1', 'Shop 2']) });
      expect(rows[0].profile.times).toHaveLength(n);
      expect(rows[0].profile.amounts.EUR.count).toBe(n);
      expect(rows[0].profile.amounts.EUR.mean).toBeCloseTo(20 + (n - 1) / 2, 9);
    });
  });

  it('accepts account_id of an own account; another tenant\'s or an unknown one is 404', async () => {
    const account = await request(t.http).post('/api/v1/accounts').set('X-API-Key', a.apiKey).send({ external_ref: 'by-id' }).expect(201);
    await post(a, { account_id: account.body.id, amount: '1', currency: 'USD', merchant: 'M' }).expect(201);
    const foreign = await post(a, { account_id: bRows.accountId, amount: '1', currency: 'USD', merchant: 'M' }).expect(404);
    expect(foreign.body.detail).toBe('Account not found');
    await post(a, { account_id: '00000000-0000-4000-8000-000000000000', amount: '1', currency: 'USD', merchant: 'M' }).expect(404);
  });

  it('validates the body: one account reference, amount vs currency minor units, codes, MCC, IP, txn_time, metadata, tenant_id', async () => {
    const base = { account_ref: 'val', amount: '10.00', currency: 'EUR', merchant: 'M' };
    const cases: Array<[object, string]> = [
      [{ ...base, account_ref: undefined }, 'account_id'],
      [{ ...base, account_id: '7c1f7a4e-7f53-4e4c-9a57-1b1f0b6f6c1d' }, 'account_id'],
      [{ ...base, account_ref: undefined, account_id: 'nope' }, 'account_id'],
      [{ ...base, amount: '0' }, 'amount'],
      [{ ...base, amount: -5 }, 'amount'],
      [{ ...base, amount: '10.001' }, 'amount'],
      [{ ...base, amount: '1e3' }, 'amount'],
      [{ ...base, amount: 0.1 + 0.2 }, 'amount'],
      [{ ...base, amount: '100.5', currency: 'JPY' }, 'amount'],
      [{ ...base, amount: '1.2345', currency: 'KWD' }, 'amount'],
      [{ ...base, amount: true }, 'amount'],
      [{ ...base, currency: 'EURO' }, 'currency'],
      [{ ...base, currency: 'XYZ' }, 'currency'],
      [{ ...base, merchant: '' }, 'merchant'],
      [{ ...base, merchant_category: '59' }, 'merchant_category'],
      [{ ...base, country: 'ZZ' }, 'country'],
      [{ ...base, ip_address: '999.1.1.1' }, 'ip_address'],
      [{ ...base, txn_time: 'yesterday' }, 'txn_time'],
      [{ ...base, txn_time: new Date(Date.now() + 3600_000).toISOString() }, 'txn_time'],
      [{ ...base, txn_time: '1970-01-01T00:00:00Z' }, 'txn_time'],
      [{ ...base, metadata: [1, 2] }, 'metadata'],
      [{ ...base, metadata: { blob: 'x'.repeat(5000) } }, 'metadata'],
      [{ ...base, metadata: { a: { b: { c: { d: { e: 1 } } } } } }, 'metadata'],
      [{ ...base, tenant_id: b.tenantId }, 'tenant_id'],
    ];
    for (const [body, field] of cases) {
      const res = await post(a, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
    }
    await post(a, { ...base, amount: '100', currency: 'JPY' }).expect(201);
    await post(a, { ...base, amount: '1.234', currency: 'KWD' }).expect(201);
    await post(a, { ...base, amount: '10.50' }).expect(201);
    await post(a, { ...base, amount: 10.5, ip_address: '2001:db8::1', merchant_category: '5411', country: 'FR', metadata: { order: 'A-1', tags: ['x'] } }).expect(201);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM transactions WHERE tenant_id = $1 AND account_id IN (SELECT id FROM accounts WHERE external_ref = 'val')`, [a.tenantId]);
      expect(rows[0].n).toBe(4);
    });
  });

  it('answers POST with the transaction exactly as GET and the list show it, its id also as transaction_id', async () => {
    const c = await seedTenant(t.db.ownerUrl);
    const account = await request(t.http).post('/api/v1/accounts').set('X-API-Key', c.apiKey).send({ external_ref: 'same-acc' }).expect(201);
    const bodies = [
      // Every optional field, values the database normalises: an IPv6 address in long form, microseconds, an offset, nested metadata.
      {
        account_ref: 'same-ref', external_id: 'same-1', amount: '129.9', currency: 'EUR', merchant: 'Corner Bakery', merchant_category: '5411',
        country: 'FR', ip_address: '2001:0DB8:0000:0000:0000:0000:0000:0001', device_id: 'dev-1', txn_time: '2026-01-09T23:30:00.123456+01:00',
        metadata: { order: 'A-1', nested: { n: 1.5, list: [1, 'two', null] } },
      },
      { account_id: account.body.id.toUpperCase(), amount: 1500, currency: 'JPY', merchant: 'Shop', ip_address: '::FFFF:192.0.2.1' },
      // Risky enough to raise an alert: alert_id is the same too.
      { account_ref: 'same-ref', amount: '4800', currency: 'EUR', merchant: 'Casino', merchant_category: '7995', country: 'BR', ip_address: '198.51.100.7' },
    ];
    await setMlConfig(c, { risk_threshold: 0.1 });
    for (const body of bodies) {
      const created = await post(c, body).expect(201);
      const { transaction_id: transactionId, ...resource } = created.body;
      expect(transactionId).toBe(resource.id);
      const shown = await request(t.http).get(`/api/v1/transactions/${resource.id}`).set('X-API-Key', c.apiKey).expect(200);
      expect(resource).toEqual(shown.body);
      const listed = await request(t.http).get('/api/v1/transactions?limit=1').set('X-API-Key', c.apiKey).expect(200);
      expect(listed.body.data[0]).toEqual(shown.body);
    }
    const [first, second, third] = (await request(t.http).get('/api/v1/transactions').set('X-API-Key', c.apiKey).expect(200)).body.data.reverse();
    expect(first).toMatchObject({ account_ref: 'same-ref', amount: '129.90', ip_address: '2001:db8::1', txn_time: '2026-01-09T22:30:00.123Z' });
    expect(second).toMatchObject({ account_id: account.body.id, account_ref: 'same-acc', amount: '1500', ip_address: '::ffff:192.0.2.1' });
    expect(third).toMatchObject({ amount: '4800.00', alert_id: expect.any(String) });
  });

  it("shows every amount with its currency's minor-unit scale", async () => {
    const c = await seedTenant(t.db.ownerUrl);
    const cases: Array<[string | number, string, string]> = [
      ['129.9', 'EUR', '129.90'],
      ['129.90', 'EUR', '129.90'],
      [4800, 'EUR', '4800.00'],
      ['0.5', 'USD', '0.50'],
      [1500, 'JPY', '1500'],
      ['1500.000', 'JPY', '1500'],
      ['12.5', 'KWD', '12.500'],
      ['1.5', 'CLF', '1.5000'],
      ['99999999999999.99', 'EUR', '99999999999999.99'],
    ];
    const ids: string[] = [];
    for (const [amount, currency, shown] of cases) {
      const created = await post(c, { account_ref: 'scale', amount, currency, merchant: 'M' }).expect(201);
      expect({ amount, currency, shown: created.body.amount }).toEqual({ amount, currency, shown });
      const one = await request(t.http).get(`/api/v1/transactions/${created.body.id}`).set('X-API-Key', c.apiKey).expect(200);
      expect({ amount, currency, shown: one.body.amount }).toEqual({ amount, currency, shown });
      ids.push(created.body.id);
    }
    const listed = await request(t.http).get('/api/v1/transactions').set('X-API-Key', c.apiKey).expect(200);
    expect(listed.body.data.map((row: any) => row.amount).reverse()).toEqual(cases.map(([, , shown]) => shown));
    // A row written before validation knew the minor units (or behind the API's back) keeps every decimal it has.
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE transactions SET amount = 1500.25 WHERE tenant_id = $1 AND id = $2`, [c.tenantId, ids[4]]));
    const legacy = await request(t.http).get(`/api/v1/transactions/${ids[4]}`).set('X-API-Key', c.apiKey).expect(200);
    expect(legacy.body).toMatchObject({ amount: '1500.25', currency: 'JPY' });
  });

  it('formats every ISO 4217 currency the API accepts with its minor units, in the list as on POST', async () => {
    const c = await seedTenant(t.db.ownerUrl);
    const codes = [...CURRENCY_MINOR_UNITS.keys()].sort();
    const expected = (code: string) => {
      const scale = CURRENCY_MINOR_UNITS.get(code)!;
      return scale === 0 ? '7' : `7.${'0'.repeat(scale)}`;
    };
    const txnTime = (i: number) => new Date(Date.parse('2026-02-01T00:00:00Z') + i * 1000).toISOString();
    await request(t.http)
      .post('/api/v1/transactions/batch')
      .set('X-API-Key', c.apiKey)
      .send({ transactions: codes.map((currency, i) => ({ account_ref: 'every-currency', amount: 7, currency, merchant: 'M', txn_time: txnTime(i) })) })
      .expect(201);
    const shown: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(t.http)
        .get(`/api/v1/transactions?limit=100${cursor ? `&starting_after=${cursor}` : ''}`)
        .set('X-API-Key', c.apiKey)
        .expect(200);
      shown.push(...page.body.data.map((row: any) => `${row.currency} ${row.amount}`));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(shown.reverse()).toEqual(codes.map((code) => `${code} ${expected(code)}`));
    const single = await post(c, { account_ref: 'every-currency', amount: 7, currency: 'BHD', merchant: 'M' }).expect(201);
    expect(single.body.amount).toBe(expected('BHD'));
  });

  it('answers hostile values with 4xx, never 500', async () => {
    const base = { account_ref: 'hostile', amount: '1', currency: 'EUR', merchant: 'M' };
    for (const body of [
      { ...base, merchant: 'nul\u0000byte' },
      { ...base, device_id: 'nul\u0000' },
      { ...base, metadata: { note: 'nul\u0000byte' } },
      { ...base, metadata: { 'k\u0000': 1 } },
      { ...base, external_id: 'x'.repeat(129) },
      { ...base, txn_time: '0000-01-01T00:00:00Z' },
    ]) {
      const res = await post(a, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    for (const query of ['from=0000-01-01', 'to=275760-09-13T00:00:00Z', 'from=2024-02-30', 'account_id=zzz', 'limit=0', 'min_amount=1e5', 'starting_after=x']) {
      const res = await request(t.http).get(`/api/v1/transactions?${query}`).set('X-API-Key', a.apiKey);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
    }
    for (const query of ['from=0000-01-01', 'handled=1', 'severity=low']) {
      const res = await request(t.http).get(`/api/v1/alerts?${query}`).set('X-API-Key', a.apiKey);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
    }
  });

  it('refuses a duplicate external_id with 409 and nothing written', async () => {
    await post(a, { account_ref: 'ext', amount: 5, currency: 'EUR', merchant: 'M', external_id: 'order-1' }).expect(201);
    const dup = await post(a, { account_ref: 'ext', amount: 5, currency: 'EUR', merchant: 'M', external_id: 'order-1' }).expect(409);
    expect(dup.body.type).toMatch(/\/duplicate-external-id$/);
    await post(b, { account_ref: 'ext', amount: 5, currency: 'EUR', merchant: 'M', external_id: 'order-1' }).expect(201);
  });

  it('scores over the account history and names each rule that fired', async () => {
    const day = 86_400_000;
    const start = Date.now() - 10 * day;
    for (let i = 0; i < 5; i++) {
      await post(a, { account_ref: 'hist', amount: 40 + i, currency: 'EUR', merchant: 'Bakery', country: 'DE', device_id: 'phone', txn_time: new Date(start + i * day).toISOString() }).expect(201);
    }
    const odd = await post(a, { account_ref: 'hist', amount: '2000', currency: 'EUR', merchant: 'Casino', merchant_category: '7995', country: 'BR', device_id: 'laptop' }).expect(201);
    expect(odd.body.reasons.map((r: any) => r.rule)).toEqual(['AMOUNT_FAR_ABOVE_USUAL', 'NEW_COUNTRY', 'NEW_DEVICE', 'NEW_MERCHANT', 'HIGH_RISK_MCC', 'ROUND_AMOUNT']);
    expect(odd.body).toMatchObject({ risk_score: 1, risk_level: 'CRITICAL', status: 'REVIEW', alert_id: expect.any(String) });
    expect(odd.body.reasons[0]).toMatchObject({ contribution: 0.45, detail: expect.stringContaining('usual 42 EUR') });
    const ordinary = await post(a, { account_ref: 'hist', amount: 41, currency: 'EUR', merchant: 'Bakery', country: 'DE', device_id: 'phone' }).expect(201);
    expect(ordinary.body).toMatchObject({ risk_score: 0, status: 'APPROVED', reasons: [] });
    expect(ordinary.body.alert_id).toBeNull();

    const stored = await request(t.http).get(`/api/v1/transactions/${odd.body.transaction_id}`).set('X-API-Key', a.apiKey).expect(200);
    expect(stored.body).toMatchObject({ risk_score: 1, risk_level: 'CRITICAL', status: 'REVIEW', alert_id: odd.body.alert_id, reasons: odd.body.reasons });
    expect(stored.body.scoring_config).toMatchObject({ risk_threshold: 0.7, auto_block: false });
  });

  it('fires the velocity rule on a burst', async () => {
    let last: any;
    for (let i = 0; i < 5; i++) last = await post(a, { account_ref: 'burst', amount: 20, currency: 'EUR', merchant: 'Vending' }).expect(201);
    expect(last.body.reasons.map((r: any) => r.rule)).toEqual(['VELOCITY_BURST']);
  });

  it('applies ml_config: threshold raises an alert, auto_block blocks, notification_email gets a mail after commit; old transactions keep their config', async () => {
    const c = await seedTenant(t.db.ownerUrl);
    await setMlConfig(c, { risk_threshold: 0.25, auto_block: false, notification_email: null });
    const review = await post(c, { account_ref: 'x', amount: 300, currency: 'EUR', merchant: 'M', merchant_category: '4829' }).expect(201);
    expect(review.body).toMatchObject({ risk_score: 0.3, status: 'REVIEW', alert_id: expect.any(String) });
    const low = await post(c, { account_ref: 'x', amount: 12.5, currency: 'EUR', merchant: 'M' }).expect(201);
    expect(low.body).toMatchObject({ status: 'APPROVED' });
    expect(low.body.alert_id).toBeNull();

    await setMlConfig(c, { risk_threshold: 0.25, auto_block: true, notification_email: 'fraud-team@c.example' });
    const blocked = await post(c, { account_ref: 'x', amount: 400, currency: 'EUR', merchant: 'M', merchant_category: '4829' }).expect(201);
    expect(blocked.body).toMatchObject({ status: 'BLOCKED', alert_id: expect.any(String) });

    const oldRow = await request(t.http).get(`/api/v1/transactions/${review.body.transaction_id}`).set('X-API-Key', c.apiKey).expect(200);
    expect(oldRow.body).toMatchObject({ status: 'REVIEW', scoring_config: { risk_threshold: 0.25, auto_block: false, notification_email: null } });
    const newRow = await request(t.http).get(`/api/v1/transactions/${blocked.body.transaction_id}`).set('X-API-Key', c.apiKey).expect(200);
    expect(newRow.body.scoring_config).toMatchObject({ auto_block: true, notification_email: 'fraud-team@c.example' });

    const alert = await request(t.http).get(`/api/v1/alerts/${blocked.body.alert_id}`).set('X-API-Key', c.apiKey).expect(200);
    expect(alert.body).toMatchObject({ severity: 'MEDIUM', risk_score: 0.3, handled: false, transaction: { id: blocked.body.transaction_id, status: 'BLOCKED' } });

    let mail = '';
    for (let i = 0; i < 50 && !mail; i++) {
      const files = readdirSync(outbox).map((file) => readFileSync(path.join(outbox, file), 'utf8')).filter((text) => text.includes('fraud-team@c.example'));
      mail = files[0] ?? '';
      if (!mail) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(mail).toContain(blocked.body.transaction_id);
    expect(mail).toMatch(/Subject: FraudGuard: 1 fraud alert raised/);
  });

  it('lists with filters and answers GET :id; another tenant\'s transaction is 404, a malformed id 400', async () => {
    const c = await seedTenant(t.db.ownerUrl);
    const t0 = Date.parse('2026-01-10T10:00:00Z');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(c, { account_ref: i < 2 ? 'f1' : 'f2', amount: 10 * (i + 1), currency: 'EUR', merchant: 'M', txn_time: new Date(t0 + i * 3600_000).toISOString() }).expect(201);
      ids.push(res.body.transaction_id);
    }
    const get = (query: string) => request(t.http).get(`/api/v1/transactions?${query}`).set('X-API-Key', c.apiKey).expect(200).then((res) => res.body.data.map((x: any) => x.id));
    expect(await get('')).toEqual([...ids].reverse());
    expect(await get('min_amount=25')).toEqual([ids[3], ids[2]]);
    expect(await get(`from=${new Date(t0 + 3600_000).toISOString()}&to=${new Date(t0 + 3 * 3600_000).toISOString()}`)).toEqual([ids[2], ids[1]]);
    expect(await get('status=BLOCKED')).toEqual([]);
    expect(await get('risk_level=LOW')).toHaveLength(4);
    await request(t.http).get('/api/v1/transactions?status=NOPE').set('X-API-Key', c.apiKey).expect(400);
    await request(t.http).get('/api/v1/transactions?min_amount=abc').set('X-API-Key', c.apiKey).expect(400);

    // Times are ISO 8601 in UTC to the millisecond, whatever precision was sent.
    const precise = await post(c, { account_ref: 'f3', amount: 1, currency: 'EUR', merchant: 'M', txn_time: '2026-01-09T23:30:00.123456+01:00' }).expect(201);
    const one = await request(t.http).get(`/api/v1/transactions/${precise.body.transaction_id}`).set('X-API-Key', c.apiKey).expect(200);
    expect(one.body.txn_time).toBe('2026-01-09T22:30:00.123Z');
    expect(one.body.created_at).toBe(new Date(one.body.created_at).toISOString());
    const listed = await request(t.http).get('/api/v1/transactions?to=2026-01-10T00:00:00Z').set('X-API-Key', c.apiKey).expect(200);
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({ id: precise.body.transaction_id, txn_time: '2026-01-09T22:30:00.123Z' });

    await request(t.http).get(`/api/v1/transactions/${bRows.transactionId}`).set('X-API-Key', c.apiKey).expect(404);
    await request(t.http).get(`/api/v1/transactions?account_id=${bRows.accountId}`).set('X-API-Key', c.apiKey).expect(200, { data: [], has_more: false, next_cursor: null });
    await request(t.http).get('/api/v1/transactions/123').set('X-API-Key', c.apiKey).expect(400);
  });

  it('never skips or repeats a row when paginating while transactions are inserted', async () => {
    const c = await seedTenant(t.db.ownerUrl);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`INSERT INTO accounts (tenant_id, external_ref) VALUES ($1, 'p') RETURNING id`, [c.tenantId]);
      // 120 rows, many sharing a txn_time, so the id tie-breaker matters.
      await client.query(
        `INSERT INTO transactions (tenant_id, account_id, amount, currency, merchant, txn_time)
         SELECT $1, $2, g, 'EUR', 'M', now() - interval '1 day' - (g / 3) * interval '1 second' FROM generate_series(1, 120) g`,
        [c.tenantId, rows[0].id],
      );
    });
    const before = new Set<string>();
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT id FROM transactions WHERE tenant_id = $1`, [c.tenantId]);
      rows.forEach((row) => before.add(row.id));
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 0;
    do {
      const [page]: [request.Response, ...unknown[]] = await Promise.all([
        request(t.http).get(`/api/v1/transactions?limit=7${cursor ? `&starting_after=${cursor}` : ''}`).set('X-API-Key', c.apiKey).expect(200),
        post(c, { account_ref: 'p', amount: 1, currency: 'EUR', merchant: 'M' }).expect(201).then(() => inserted++),
        post(c, { account_ref: 'p', amount: 2, currency: 'EUR', merchant: 'M', txn_time: new Date(Date.now() - 2 * 86_400_000).toISOString() }).expect(201).then(() => inserted++),
      ]);
      seen.push(...page.body.data.map((x: any) => x.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    expect(inserted).toBeGreaterThan(10);
  });

  it('requires read:transactions / write:transactions for API keys', async () => {
    const reader = await seedTenant(t.db.ownerUrl, { scopes: ['read:transactions'] });
    const writer = await seedTenant(t.db.ownerUrl, { scopes: ['write:transactions'] });
    await post(reader, { account_ref: 'x', amount: 1, currency: 'EUR', merchant: 'M' }).expect(403);
    await request(t.http).get('/api/v1/transactions').set('X-API-Key', reader.apiKey).expect(200);
    await post(writer, { account_ref: 'x', amount: 1, currency: 'EUR', merchant: 'M' }).expect(201);
    const denied = await request(t.http).get('/api/v1/transactions').set('X-API-Key', writer.apiKey).expect(403);
    expect(denied.body.missing_scopes).toEqual(['read:transactions']);
    await request(t.http).post('/api/v1/transactions/batch').set('X-API-Key', reader.apiKey).send({ transactions: [] }).expect(403);
  });
});
