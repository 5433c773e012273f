import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { canonicalUuid } from '../../src/common/uuid.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

/** Every way of writing one uuid that PostgreSQL's uuid input takes. */
function spellings(uuid: string): string[] {
  const hex = uuid.replace(/-/g, '');
  return [uuid, uuid.toUpperCase(), `{${uuid}}`, hex, `{${hex.toUpperCase()}}`, hex.match(/.{4}/g)!.join('-')];
}

const MALFORMED = [
  'not-a-uuid', '', ' ', '00000000-0000-0000-0000-00000000000g', '00000000-0000-0000-0000-0000000000001', '00000000-0000-0000-0000-00000000001',
  ' 00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001 ', '{00000000-0000-0000-0000-000000000001',
  '00000000-0000-0000-0000-000000000001}', '-00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001-',
  '000-00000-0000-0000-0000-000000000001', '00000000--0000-0000-0000-000000000001', '0000000-00000-0000-0000-000000000001',
  '(00000000-0000-0000-0000-000000000001)', '00000000-0000-0000-0000-0000000000０1', "' OR 1=1 --",
];

describe('uuid ids in paths and filters', () => {
  it('accepts exactly what PostgreSQL takes as a uuid, in the form PostgreSQL prints it', async () => {
    const corpus = [...spellings('00000000-0000-0000-0000-000000000005'), ...spellings(randomUUID()), ...spellings('ffffffff-ffff-ffff-ffff-ffffffffffff'), ...MALFORMED];
    await withClient(process.env.FG_TEST_SERVER_URL!, async (client) => {
      for (const text of corpus) {
        const postgres = await client.query(`SELECT $1::uuid::text AS uuid`, [text]).then(
          (result) => result.rows[0].uuid as string,
          () => undefined,
        );
        expect({ text, uuid: canonicalUuid(text) }).toEqual({ text, uuid: postgres });
      }
    });
  });

  describe('through the API', () => {
    let t: TestApp;
    let tenant: SeededTenant;
    const account = '00000000-0000-0000-0000-000000000005';
    const transaction = '00000000-0000-0000-0001-00000000000a';
    const alert = '00000000-0000-0000-0002-000000000001';

    beforeAll(async () => {
      t = await startTestApp();
      tenant = await seedTenant(t.db.ownerUrl);
      // Ids as a converted single-tenant database has them: version and variant bits all zero.
      await withClient(t.db.ownerUrl, async (client) => {
        await client.query(`INSERT INTO accounts (tenant_id, id, external_ref) VALUES ($1, $2, 'legacy-5')`, [tenant.tenantId, account]);
        await client.query(`INSERT INTO transactions (tenant_id, id, account_id, amount, currency, merchant) VALUES ($1, $2, $3, 10, 'EUR', 'Shop')`, [
          tenant.tenantId, transaction, account,
        ]);
        await client.query(`INSERT INTO fraud_alerts (tenant_id, id, transaction_id, severity, risk_score) VALUES ($1, $2, $3, 'HIGH', 0.9)`, [
          tenant.tenantId, alert, transaction,
        ]);
      });
    });
    afterAll(() => t?.close());

    const get = (path: string) => request(t.http).get(path).set('X-API-Key', tenant.apiKey);

    it('reads and changes rows by any spelling of their id, answering the canonical one', async () => {
      for (const id of spellings(account)) expect((await get(`/api/v1/accounts/${encodeURIComponent(id)}`).expect(200)).body.id).toBe(account);
      for (const id of spellings(transaction)) expect((await get(`/api/v1/transactions/${encodeURIComponent(id)}`).expect(200)).body.id).toBe(transaction);
      for (const id of spellings(alert)) expect((await get(`/api/v1/alerts/${encodeURIComponent(id)}`).expect(200)).body).toMatchObject({ id: alert, transaction_id: transaction });
      const patched = await request(t.http).patch(`/api/v1/alerts/${alert.toUpperCase()}`).set('X-API-Key', tenant.apiKey).send({ note: 'seen' }).expect(200);
      expect(patched.body).toMatchObject({ id: alert, note: 'seen' });
      for (const id of spellings(account)) {
        const listed = await get(`/api/v1/transactions?account_id=${encodeURIComponent(id)}`).expect(200);
        expect(listed.body.data.map((row: { id: string }) => row.id)).toEqual([transaction]);
      }
      // Well-formed but unknown: 404.
      await get(`/api/v1/accounts/00000000-0000-0000-0000-000000000006`).expect(404);
    });

    it('answers a malformed id, in a path or a filter, with a 400 problem naming it', async () => {
      for (const id of MALFORMED.filter((text) => text.trim() !== '')) {
        for (const path of [`/api/v1/accounts/${encodeURIComponent(id)}`, `/api/v1/alerts/${encodeURIComponent(id)}`, `/api/v1/transactions/${encodeURIComponent(id)}`]) {
          const res = await get(path);
          expect({ path, status: res.status }).toEqual({ path, status: 400 });
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect({ path, errors: res.body.errors }).toEqual({ path, errors: [{ field: 'id', message: 'id must be a UUID' }] });
        }
        const filtered = await get(`/api/v1/transactions?account_id=${encodeURIComponent(id)}`);
        expect({ id, status: filtered.status }).toEqual({ id, status: 400 });
        expect(filtered.body.errors).toEqual([{ field: 'account_id', message: 'account_id must be a UUID' }]);
      }
    });
  });
});
