import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { createOwnerDataSource } from '../../src/database/data-source.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const DOMAIN_TABLES = ['accounts', 'transactions', 'fraud_alerts', 'system_logs'];

/**
 * The seed's conversion story on a real single-tenant database: schema 0 with rows in all four
 * tables, then migrations 1..n; nothing is lost and everything belongs to default-tenant-001.
 */
describe('migrations', () => {
  let db: TestDatabase;
  let owner: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase({ template: '' }); // empty database, not the migrated template
  });
  afterAll(async () => {
    if (owner?.isInitialized) await owner.destroy();
    await db.drop();
  });

  async function counts(): Promise<Record<string, number>> {
    return withClient(db.ownerUrl, async (client) => {
      const result: Record<string, number> = {};
      for (const table of DOMAIN_TABLES) result[table] = (await client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
      return result;
    });
  }

  it('upgrades a populated single-tenant database without losing a row', async () => {
    const legacy = createOwnerDataSource(db.ownerUrl);
    legacy.setOptions({ migrations: [migrations[0]] });
    await legacy.initialize();
    expect(await legacy.runMigrations()).toHaveLength(1);
    await legacy.query(`
      INSERT INTO accounts (external_ref, holder_name, country)
        SELECT 'legacy-' || i, 'Holder ' || i, 'FR' FROM generate_series(1, 30) i;
      INSERT INTO transactions (account_id, amount, currency, merchant, txn_time)
        SELECT a.id, 10 + i, 'EUR', 'Merchant ' || i, now() - i * interval '1 hour'
          FROM accounts a CROSS JOIN generate_series(1, 5) i;
      INSERT INTO fraud_alerts (transaction_id, severity, risk_score)
        SELECT id, 'HIGH', 0.9 FROM transactions WHERE amount > 14;
      INSERT INTO system_logs (level, message) SELECT 'INFO', 'legacy log ' || i FROM generate_series(1, 7) i;
    `);
    await legacy.destroy();
    const before = await counts();
    expect(before).toEqual({ accounts: 30, transactions: 150, fraud_alerts: 30, system_logs: 7 });

    owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    const applied = await owner.runMigrations();
    expect(applied.length).toBe(migrations.length - 1);

    expect(await counts()).toEqual(before);
    await withClient(db.ownerUrl, async (client) => {
      // Every account got its scoring profile, rebuilt from its transactions (0041).
      const profiles = await client.query(
        `SELECT p.profile FROM account_profiles p JOIN accounts a ON a.tenant_id = p.tenant_id AND a.id = p.account_id
          WHERE a.external_ref = 'legacy-1'`,
      );
      expect(profiles.rows).toEqual([
        {
          profile: {
            count: 5,
            amounts: { EUR: { count: 5, mean: 13 } },
            times: expect.any(Array),
            countries: [],
            merchants: ['Merchant 5', 'Merchant 4', 'Merchant 3', 'Merchant 2', 'Merchant 1'],
            devices: [],
          },
        },
      ]);
      expect(profiles.rows[0].profile.times).toHaveLength(5);
      expect((await client.query(`SELECT count(*)::int AS n FROM account_profiles`)).rows[0].n).toBe(30);
      for (const table of DOMAIN_TABLES) {
        const { rows } = await client.query(`SELECT DISTINCT tenant_id FROM ${table}`);
        expect({ table, tenants: rows.map((row) => row.tenant_id) }).toEqual({ table, tenants: ['default-tenant-001'] });
      }
      const tenant = await client.query(`SELECT organization_name, subdomain, plan FROM tenants WHERE tenant_id = 'default-tenant-001'`);
      expect(tenant.rows).toEqual([{ organization_name: 'Demo Organization', subdomain: 'demo', plan: 'ENTERPRISE' }]);
    });
    // And the app role sees those rows only as the default tenant.
    await withClient(db.appUrl, async (client) => {
      expect((await client.query(`SELECT count(*)::int AS n FROM transactions`)).rows[0].n).toBe(0);
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.current_tenant', 'default-tenant-001', true)`);
      expect((await client.query(`SELECT count(*)::int AS n FROM transactions`)).rows[0].n).toBe(150);
      await client.query('ROLLBACK');
    });
  });

  it('reverts every migration back to schema 0 and applies them again', async () => {
    for (let i = 1; i < migrations.length; i++) await owner.undoLastMigration();
    expect(await counts()).toEqual({ accounts: 30, transactions: 150, fraud_alerts: 30, system_logs: 7 });
    await withClient(db.ownerUrl, async (client) => {
      const { rows } = await client.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'tenant%'`,
      );
      expect(rows).toEqual([]);
      const column = await client.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'transactions' AND column_name = 'tenant_id'`);
      expect(column.rowCount).toBe(0);
    });
    const reapplied = await owner.runMigrations();
    expect(reapplied.length).toBe(migrations.length - 1);
    expect(await counts()).toEqual({ accounts: 30, transactions: 150, fraud_alerts: 30, system_logs: 7 });
  });
});
