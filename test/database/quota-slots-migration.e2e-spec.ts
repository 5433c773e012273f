import { migrations } from '../../migrations/index.js';
import { createOwnerDataSource } from '../../src/database/data-source.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

describe('migration 0060 (quota slots)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const rows = () =>
    withClient(db.ownerUrl, async (c) =>
      (await c.query(`SELECT month::text, slot, transactions::int FROM tenant_monthly_usage WHERE tenant_id = 'default-tenant-001' ORDER BY month, slot`)).rows,
    );

  it('folds each month’s slots into one counter on the way down, and starts from it as slot 0 on the way up', async () => {
    await withClient(db.ownerUrl, (c) =>
      c.query(`INSERT INTO tenant_monthly_usage (tenant_id, month, slot, transactions)
               VALUES ('default-tenant-001', '2026-01-01', 0, 5), ('default-tenant-001', '2026-01-01', 7, 3), ('default-tenant-001', '2026-01-01', 15, 1),
                      ('default-tenant-001', '2026-02-01', 4, 2)`),
    );
    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    try {
      // Back to just before 0060 (later migrations are reverted first and come back with it).
      const names = migrations.map((migration) => migration.name);
      const reverted = names.slice(names.indexOf('QuotaSlots1700000000060'));
      for (let i = 0; i < reverted.length; i++) await owner.undoLastMigration({ transaction: 'each' });
      await withClient(db.ownerUrl, async (c) => {
        const folded = await c.query(`SELECT month::text, transactions::int FROM tenant_monthly_usage WHERE tenant_id = 'default-tenant-001' ORDER BY month`);
        expect(folded.rows).toEqual([
          { month: '2026-01-01', transactions: 9 },
          { month: '2026-02-01', transactions: 2 },
        ]);
        expect((await c.query(`SELECT to_regprocedure('fg_quota_reserve(varchar, integer)') AS fn`)).rows[0].fn).toBeNull();
      });
      expect((await owner.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(reverted);
    } finally {
      await owner.destroy();
    }
    expect(await rows()).toEqual([
      { month: '2026-01-01', slot: 0, transactions: 9 },
      { month: '2026-02-01', slot: 0, transactions: 2 },
    ]);
    await withClient(db.ownerUrl, async (c) => {
      const key = await c.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'tenant_monthly_usage_pkey'`);
      expect(key.rows).toEqual([{ def: 'PRIMARY KEY (tenant_id, month, slot)' }]);
      const grants = await c.query(
        `SELECT grantee, privilege_type FROM information_schema.role_routine_grants WHERE routine_name = 'fg_quota_reserve' ORDER BY grantee`,
      );
      expect(grants.rows.map((row) => row.grantee)).not.toContain('PUBLIC');
      expect(grants.rows).toContainEqual({ grantee: db.roles.app, privilege_type: 'EXECUTE' });
    });
  });
});
