import request from 'supertest';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

describe('fraud alerts API', () => {
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;
  let bRows: { accountId: string; transactionId: string; alertId: string };
  let userA: number;
  let userB: number;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t.db.ownerUrl);
    b = await seedTenant(t.db.ownerUrl);
    bRows = await seedDomainRows(t.db.ownerUrl, b.tenantId);
    await withClient(t.db.ownerUrl, async (client) => {
      await client.query(`UPDATE tenants SET ml_config = '{"risk_threshold": 0.1}' WHERE tenant_id = $1`, [a.tenantId]);
      const insertUser = `INSERT INTO tenant_users (tenant_id, email, password_hash, role) VALUES ($1, $2, 'x', 'ANALYST') RETURNING id`;
      userA = (await client.query(insertUser, [a.tenantId, 'analyst@a.example'])).rows[0].id;
      userB = (await client.query(insertUser, [b.tenantId, 'analyst@b.example'])).rows[0].id;
    });
  });
  afterAll(() => t.close());

  async function raiseAlert(amount: number, mcc = '7995'): Promise<string> {
    const res = await request(t.http)
      .post('/api/v1/transactions')
      .set('X-API-Key', a.apiKey)
      .send({ account_ref: 'al', amount, currency: 'EUR', merchant: 'Casino', merchant_category: mcc })
      .expect(201);
    expect(res.body.alert_id).toEqual(expect.any(String));
    return res.body.alert_id;
  }
  const patch = (tenant: SeededTenant, id: string, body: object) => request(t.http).patch(`/api/v1/alerts/${id}`).set('X-API-Key', tenant.apiKey).send(body);

  it('lists alerts newest first with filters and cursor; GET :id includes the transaction', async () => {
    const ids = [await raiseAlert(10.5), await raiseAlert(200), await raiseAlert(11.5)];
    const page1 = await request(t.http).get('/api/v1/alerts?limit=2').set('X-API-Key', a.apiKey).expect(200);
    expect(page1.body.data.map((x: any) => x.id)).toEqual([ids[2], ids[1]]);
    const page2 = await request(t.http).get(`/api/v1/alerts?limit=2&starting_after=${page1.body.next_cursor}`).set('X-API-Key', a.apiKey).expect(200);
    expect(page2.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(page2.body.data.map((x: any) => x.id)).toEqual([ids[0]]);
    const medium = await request(t.http).get('/api/v1/alerts?severity=MEDIUM').set('X-API-Key', a.apiKey).expect(200);
    expect(medium.body.data.map((x: any) => x.id)).toEqual([ids[1]]); // 200 EUR: high-risk MCC + round amount = 0.3
    const unhandled = await request(t.http).get('/api/v1/alerts?handled=false').set('X-API-Key', a.apiKey).expect(200);
    expect(unhandled.body.data).toHaveLength(3);
    const future = await request(t.http).get(`/api/v1/alerts?from=${new Date(Date.now() + 60_000).toISOString()}`).set('X-API-Key', a.apiKey).expect(200);
    expect(future.body.data).toEqual([]);
    await request(t.http).get('/api/v1/alerts?handled=maybe').set('X-API-Key', a.apiKey).expect(400);

    const one = await request(t.http).get(`/api/v1/alerts/${ids[1]}`).set('X-API-Key', a.apiKey).expect(200);
    expect(one.body).toMatchObject({ id: ids[1], severity: 'MEDIUM', risk_score: 0.3, handled: false, resolution: null, transaction: { amount: '200.00', merchant: 'Casino' } });
    expect(one.body.reasons.map((r: any) => r.rule)).toEqual(['HIGH_RISK_MCC', 'ROUND_AMOUNT']);
  });

  it("shows the account of each alert as account_id and account_ref, in the list, GET :id and PATCH", async () => {
    const account = await request(t.http).post('/api/v1/accounts').set('X-API-Key', a.apiKey).send({ external_ref: 'alert-acc-2' }).expect(201);
    const byRef = await request(t.http)
      .post('/api/v1/transactions')
      .set('X-API-Key', a.apiKey)
      .send({ account_ref: 'alert-acc-1', amount: 300, currency: 'EUR', merchant: 'Casino', merchant_category: '7995' })
      .expect(201);
    const byId = await request(t.http)
      .post('/api/v1/transactions/batch')
      .set('X-API-Key', a.apiKey)
      .send({ transactions: [{ account_id: account.body.id, amount: 300, currency: 'EUR', merchant: 'Casino', merchant_category: '7995' }] })
      .expect(201);
    const expected = [
      [byId.body.data[0].alert_id, account.body.id, 'alert-acc-2'],
      [byRef.body.alert_id, byRef.body.account_id, 'alert-acc-1'],
    ];
    const listed = await request(t.http).get('/api/v1/alerts?limit=2').set('X-API-Key', a.apiKey).expect(200);
    expect(listed.body.data.map((x: any) => [x.id, x.account_id, x.account_ref])).toEqual(expected);
    const one = await request(t.http).get(`/api/v1/alerts/${byRef.body.alert_id}`).set('X-API-Key', a.apiKey).expect(200);
    expect(one.body).toMatchObject({ account_id: byRef.body.account_id, account_ref: 'alert-acc-1', transaction: { account_id: byRef.body.account_id, account_ref: 'alert-acc-1' } });
    const patched = await patch(a, byId.body.data[0].alert_id, { note: 'checking' }).expect(200);
    expect(patched.body).toMatchObject({ account_id: account.body.id, account_ref: 'alert-acc-2' });
    // Rows written behind the API's back (no account_ref stored) show their account's too.
    const seeded = await request(t.http).get(`/api/v1/alerts/${bRows.alertId}`).set('X-API-Key', b.apiKey).expect(200);
    expect(seeded.body).toMatchObject({ account_id: bRows.accountId, account_ref: expect.stringMatching(/^acc-/) });
    expect(seeded.body.transaction).toMatchObject({ account_id: bRows.accountId, account_ref: seeded.body.account_ref });
    const listed2 = await request(t.http).get('/api/v1/transactions').set('X-API-Key', b.apiKey).expect(200);
    expect(listed2.body.data.map((x: any) => [x.id, x.account_ref])).toEqual([[bRows.transactionId, seeded.body.account_ref]]);
  });

  it('works an alert: resolution implies handled, assignee must be a user of the tenant, each change audited with old and new values', async () => {
    const id = await raiseAlert(12.5);
    const assigned = await patch(a, id, { assignee_id: userA, note: 'looking' }).expect(200);
    expect(assigned.body).toMatchObject({ assignee_id: userA, note: 'looking', handled: false });
    const resolved = await patch(a, id, { resolution: 'FRAUD' }).expect(200);
    expect(resolved.body).toMatchObject({ handled: true, resolution: 'FRAUD', handled_at: expect.any(String), handled_by: null });
    const reopened = await patch(a, id, { handled: false }).expect(200);
    expect(reopened.body).toMatchObject({ handled: false, resolution: null, handled_at: null });
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(
        `SELECT old_value, new_value FROM audit_logs WHERE tenant_id = $1 AND action = 'alert.update' AND resource_id = $2 ORDER BY id`,
        [a.tenantId, id],
      );
      expect(rows).toHaveLength(3);
      expect(rows[0].old_value).toEqual({ assignee_id: null, note: null });
      expect(rows[0].new_value).toMatchObject({ assignee_id: userA, note: 'looking' });
      expect(rows[1].old_value).toEqual({ handled: false, resolution: null });
      expect(rows[1].new_value).toMatchObject({ handled: true, resolution: 'FRAUD' });
      expect(rows[2].old_value).toEqual({ handled: true, resolution: 'FRAUD' });
    });

    const foreignUser = await patch(a, id, { assignee_id: userB }).expect(422);
    expect(foreignUser.body.type).toMatch(/\/unknown-assignee$/);
    await patch(a, id, { assignee_id: 999999 }).expect(422);
    await patch(a, id, { resolution: 'MAYBE' }).expect(400);
    await patch(a, id, { handled: false, resolution: 'FRAUD' }).expect(422);
    await patch(a, id, {}).expect(400);
    await patch(a, id, { handled: true, tenant_id: b.tenantId }).expect(400);
    const cleared = await patch(a, id, { assignee_id: null, note: null }).expect(200);
    expect(cleared.body).toMatchObject({ assignee_id: null, note: null });
  });

  it('asks for a resolution when a converted alert holds one from the single-tenant installation, and leaves it unchanged', async () => {
    const id = await raiseAlert(12.5);
    await withClient(t.db.ownerUrl, async (client) => {
      // What a converted database holds: migration 0020's check is NOT VALID there, legacy rows keep their value.
      await client.query(`ALTER TABLE fraud_alerts DROP CONSTRAINT fraud_alerts_resolution_check`);
      await client.query(`UPDATE fraud_alerts SET handled = true, resolution = 'CONFIRMED_FRAUD' WHERE id = $1`, [id]);
      await client.query(`ALTER TABLE fraud_alerts ADD CONSTRAINT fraud_alerts_resolution_check CHECK (resolution IN ('FRAUD', 'LEGITIMATE', 'DUPLICATE', 'FALSE_POSITIVE', 'INCONCLUSIVE')) NOT VALID`);
    });
    const refused = await patch(a, id, { note: 'looked at it' }).expect(422);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/legacy-resolution$/), errors: [{ field: 'resolution' }] });
    expect((await request(t.http).get(`/api/v1/alerts/${id}`).set('X-API-Key', a.apiKey).expect(200)).body).toMatchObject({ resolution: 'CONFIRMED_FRAUD', note: null });
    const resolved = await patch(a, id, { note: 'looked at it', resolution: 'FRAUD' }).expect(200);
    expect(resolved.body).toMatchObject({ resolution: 'FRAUD', note: 'looked at it', handled: true });
  });

  it("answers another tenant's alert with 404 on GET and PATCH, and a malformed id with 400", async () => {
    await request(t.http).get(`/api/v1/alerts/${bRows.alertId}`).set('X-API-Key', a.apiKey).expect(404);
    await patch(a, bRows.alertId, { handled: true }).expect(404);
    await request(t.http).get(`/api/v1/alerts/${bRows.alertId}`).set('X-API-Key', b.apiKey).expect(200);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT handled FROM fraud_alerts WHERE id = $1`, [bRows.alertId]);
      expect(rows[0].handled).toBe(false);
    });
    await request(t.http).get('/api/v1/alerts/xyz').set('X-API-Key', a.apiKey).expect(400);
    await patch(a, 'xyz', { handled: true }).expect(400);
    const listB = await request(t.http).get('/api/v1/alerts').set('X-API-Key', b.apiKey).expect(200);
    expect(listB.body.data.map((x: any) => x.id)).toEqual([bRows.alertId]);
  });

  it('requires read:alerts / write:alerts for API keys', async () => {
    const reader = await seedTenant(t.db.ownerUrl, { scopes: ['read:alerts'] });
    const none = await seedTenant(t.db.ownerUrl, { scopes: ['read:transactions'] });
    await request(t.http).get('/api/v1/alerts').set('X-API-Key', reader.apiKey).expect(200);
    await request(t.http).get('/api/v1/alerts').set('X-API-Key', none.apiKey).expect(403);
    const denied = await request(t.http).patch('/api/v1/alerts/7c1f7a4e-7f53-4e4c-9a57-1b1f0b6f6c1d').set('X-API-Key', reader.apiKey).send({ handled: true }).expect(403);
    expect(denied.body.missing_scopes).toEqual(['write:alerts']);
  });
});
