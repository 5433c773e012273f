import pg from 'pg';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const TENANT_TABLES = ['tenants', 'tenant_users', 'tenant_api_keys', 'audit_logs', 'accounts', 'transactions', 'fraud_alerts', 'system_logs'];

/** Raw SQL as the app role: the database alone, with no help from the application, isolates tenants. */
describe('row-level security as the app role', () => {
  let db: TestDatabase;
  let a: SeededTenant;
  let b: SeededTenant;
  let aRows: Awaited<ReturnType<typeof seedDomainRows>>;
  let bRows: Awaited<ReturnType<typeof seedDomainRows>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await seedTenant(db.ownerUrl);
    b = await seedTenant(db.ownerUrl);
    aRows = await seedDomainRows(db.ownerUrl, a.tenantId);
    bRows = await seedDomainRows(db.ownerUrl, b.tenantId);
    await withClient(db.ownerUrl, async (client) => {
      for (const t of [a, b]) {
        await client.query(`INSERT INTO tenant_users (tenant_id, email, password_hash) VALUES ($1, 'u@x.example', 'h')`, [t.tenantId]);
        await client.query(`INSERT INTO audit_logs (tenant_id, action) VALUES ($1, 'fixture')`, [t.tenantId]);
      }
    });
  });
  afterAll(() => db.drop());

  /** Runs `work` in a transaction with app.current_tenant set transaction-locally, then rolls back. */
  async function asTenant<T>(tenantId: string | null, work: (client: pg.Client) => Promise<T>): Promise<T> {
    return withClient(db.appUrl, async (client) => {
      await client.query('BEGIN');
      try {
        if (tenantId) await client.query(`SELECT set_config('app.current_tenant', $1, true)`, [tenantId]);
        return await work(client);
      } finally {
        await client.query('ROLLBACK');
      }
    });
  }

  it('shows zero rows of every tenant table when no tenant is set', async () => {
    await asTenant(null, async (client) => {
      for (const table of TENANT_TABLES) {
        const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect({ table, n: rows[0].n }).toEqual({ table, n: 0 });
      }
    });
  });

  it('also shows zero rows when the setting is the empty string', async () => {
    await asTenant(null, async (client) => {
      await client.query(`SELECT set_config('app.current_tenant', '', true)`);
      for (const table of TENANT_TABLES) {
        const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect(rows[0].n).toBe(0);
      }
    });
  });

  it('refuses an insert when no tenant is set', async () => {
    await asTenant(null, async (client) => {
      await expect(
        client.query(`INSERT INTO accounts (tenant_id, external_ref) VALUES ($1, 'x')`, [a.tenantId]),
      ).rejects.toThrow(/row-level security/);
    });
  });

  it("sees only tenant A's rows in every table with no WHERE clause", async () => {
    await asTenant(a.tenantId, async (client) => {
      for (const table of TENANT_TABLES) {
        const { rows } = await client.query(`SELECT DISTINCT tenant_id FROM ${table}`);
        expect({ table, tenants: rows.map((row) => row.tenant_id) }).toEqual({ table, tenants: [a.tenantId] });
      }
    });
  });

  it("cannot read, update, delete or insert tenant B's rows while acting as A", async () => {
    await asTenant(a.tenantId, async (client) => {
      expect((await client.query(`SELECT * FROM transactions WHERE id = $1`, [bRows.transactionId])).rowCount).toBe(0);
      expect((await client.query(`SELECT * FROM accounts WHERE tenant_id = $1`, [b.tenantId])).rowCount).toBe(0);
      expect((await client.query(`UPDATE accounts SET holder_name = 'pwned' WHERE id = $1`, [bRows.accountId])).rowCount).toBe(0);
      expect((await client.query(`UPDATE tenants SET organization_name = 'pwned' WHERE tenant_id = $1`, [b.tenantId])).rowCount).toBe(0);
      expect((await client.query(`DELETE FROM fraud_alerts WHERE id = $1`, [bRows.alertId])).rowCount).toBe(0);
      expect((await client.query(`DELETE FROM tenant_api_keys WHERE tenant_id = $1`, [b.tenantId])).rowCount).toBe(0);
      await expect(
        client.query(`INSERT INTO accounts (tenant_id, external_ref) VALUES ($1, 'forged')`, [b.tenantId]),
      ).rejects.toThrow(/row-level security/);
    });
    await asTenant(a.tenantId, async (client) => {
      // Moving one's own row to another tenant is a write that WITH CHECK refuses.
      await expect(
        client.query(`UPDATE accounts SET tenant_id = $1 WHERE id = $2`, [b.tenantId, aRows.accountId]),
      ).rejects.toThrow(/row-level security/);
    });
    await withClient(db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT holder_name FROM accounts WHERE id = $1`, [bRows.accountId]);
      expect(rows[0].holder_name).toBe('Holder');
      expect((await client.query(`SELECT 1 FROM fraud_alerts WHERE id = $1`, [bRows.alertId])).rowCount).toBe(1);
    });
  });

  it("cannot reference another tenant's row through a foreign key", async () => {
    await asTenant(a.tenantId, async (client) => {
      await expect(
        client.query(`INSERT INTO transactions (tenant_id, account_id, amount, currency, merchant) VALUES ($1, $2, 1, 'EUR', 'x')`, [
          a.tenantId,
          bRows.accountId,
        ]),
      ).rejects.toThrow(/foreign key/);
    });
  });

  it('forgets the tenant when the transaction ends (set_config is transaction-local)', async () => {
    await withClient(db.appUrl, async (client) => {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.current_tenant', $1, true)`, [a.tenantId]);
      expect((await client.query(`SELECT count(*)::int AS n FROM accounts`)).rows[0].n).toBe(1);
      await client.query('COMMIT');
      const { rows } = await client.query(`SELECT current_setting('app.current_tenant', true) AS setting, (SELECT count(*)::int FROM accounts) AS n`);
      expect(rows[0].setting ?? '').toBe('');
      expect(rows[0].n).toBe(0);
    });
  });

  it('answers the pre-tenant look-ups only through the definer functions', async () => {
    await withClient(db.appUrl, async (client) => {
      const { rows } = await client.query(`SELECT tenant_id FROM fg_tenant_by_subdomain($1)`, [a.subdomain]);
      expect(rows).toEqual([{ tenant_id: a.tenantId }]);
      expect((await client.query(`SELECT * FROM tenant_api_keys`)).rowCount).toBe(0);
    });
  });
});
