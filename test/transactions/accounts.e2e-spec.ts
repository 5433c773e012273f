import request from 'supertest';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

describe('accounts API', () => {
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;
  let bAccountId: string;

  beforeAll(async () => {
    t = await startTestApp();
    a = await seedTenant(t.db.ownerUrl);
    b = await seedTenant(t.db.ownerUrl);
    bAccountId = (await seedDomainRows(t.db.ownerUrl, b.tenantId)).accountId;
  });
  afterAll(() => t.close());

  const post = (tenant: SeededTenant, body: object) => request(t.http).post('/api/v1/accounts').set('X-API-Key', tenant.apiKey).send(body);

  it('creates an account and answers it with its id, audited', async () => {
    const res = await post(a, { external_ref: 'cust-1', holder_name: 'Ada Lovelace', country: 'GB' }).expect(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), external_ref: 'cust-1', holder_name: 'Ada Lovelace', country: 'GB', status: 'ACTIVE' });
    expect(res.body).not.toHaveProperty('tenant_id');
    const got = await request(t.http).get(`/api/v1/accounts/${res.body.id}`).set('X-API-Key', a.apiKey).expect(200);
    expect(got.body).toEqual(res.body);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT action, resource_id FROM audit_logs WHERE tenant_id = $1 AND action = 'account.create'`, [a.tenantId]);
      expect(rows).toEqual([{ action: 'account.create', resource_id: res.body.id }]);
    });
  });

  it('refuses a duplicate external_ref in the same tenant with 409, but allows it in another tenant', async () => {
    await post(a, { external_ref: 'dup-1' }).expect(201);
    const res = await post(a, { external_ref: 'dup-1' }).expect(409);
    expect(res.body.type).toMatch(/\/duplicate-external-ref$/);
    await post(b, { external_ref: 'dup-1' }).expect(201);
  });

  it('validates country against ISO 3166, status, and refuses tenant_id in the body', async () => {
    for (const country of ['XX', 'de', 'DEU', 'UK']) {
      const res = await post(a, { external_ref: `c-${country}`, country }).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'country' })]);
    }
    await post(a, { external_ref: 'c-ok', country: 'AX' }).expect(201);
    const status = await post(a, { external_ref: 's-1', status: 'DELETED' }).expect(400);
    expect(status.body.errors[0].field).toBe('status');
    const tenant = await post(a, { external_ref: 't-1', tenant_id: b.tenantId }).expect(400);
    expect(tenant.body.errors[0]).toMatchObject({ field: 'tenant_id' });
    await post(a, {}).expect(400);
  });

  it("answers another tenant's account with 404 and a malformed id with 400", async () => {
    const res = await request(t.http).get(`/api/v1/accounts/${bAccountId}`).set('X-API-Key', a.apiKey).expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    await request(t.http).get(`/api/v1/accounts/${bAccountId}`).set('X-API-Key', b.apiKey).expect(200);
    const bad = await request(t.http).get('/api/v1/accounts/not-a-uuid').set('X-API-Key', a.apiKey).expect(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('lists newest first with cursor pagination, only the own tenant, filtered by status', async () => {
    const c = await seedTenant(t.db.ownerUrl);
    for (let i = 0; i < 5; i++) await post(c, { external_ref: `p-${i}`, status: i === 2 ? 'FROZEN' : 'ACTIVE' }).expect(201);
    const first = await request(t.http).get('/api/v1/accounts?limit=2').set('X-API-Key', c.apiKey).expect(200);
    expect(first.body.data.map((x: any) => x.external_ref)).toEqual(['p-4', 'p-3']);
    expect(first.body.has_more).toBe(true);
    const second = await request(t.http).get(`/api/v1/accounts?limit=2&starting_after=${first.body.next_cursor}`).set('X-API-Key', c.apiKey).expect(200);
    expect(second.body.data.map((x: any) => x.external_ref)).toEqual(['p-2', 'p-1']);
    const third = await request(t.http).get(`/api/v1/accounts?limit=2&starting_after=${second.body.next_cursor}`).set('X-API-Key', c.apiKey).expect(200);
    expect(third.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(third.body.data.map((x: any) => x.external_ref)).toEqual(['p-0']);
    const frozen = await request(t.http).get('/api/v1/accounts?status=FROZEN').set('X-API-Key', c.apiKey).expect(200);
    expect(frozen.body.data.map((x: any) => x.external_ref)).toEqual(['p-2']);
    await request(t.http).get('/api/v1/accounts?starting_after=abc.def').set('X-API-Key', c.apiKey).expect(400);
    await request(t.http).get('/api/v1/accounts?limit=101').set('X-API-Key', c.apiKey).expect(400);
  });

  it('requires read:accounts / write:accounts for API keys', async () => {
    const readOnly = await seedTenant(t.db.ownerUrl, { scopes: ['read:accounts'] });
    const none = await seedTenant(t.db.ownerUrl, { scopes: ['read:transactions', 'write:transactions'] });
    const denied = await post(readOnly, { external_ref: 'x' }).expect(403);
    expect(denied.body.type).toMatch(/\/insufficient-scope$/);
    await request(t.http).get('/api/v1/accounts').set('X-API-Key', readOnly.apiKey).expect(200);
    await request(t.http).get('/api/v1/accounts').set('X-API-Key', none.apiKey).expect(403);
    await post(none, { external_ref: 'x' }).expect(403);
    await request(t.http).get('/api/v1/accounts').expect(401);
  });
});
