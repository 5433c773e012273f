import { migrations } from '../../migrations/index.js';
import { createOwnerDataSource } from '../../src/database/data-source.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';
import { VERIFY_CHAIN_SQL } from '../../src/audit/audit.entry.js';
import { sealNow } from '../support/audit-seal.js';

describe('migrations 0030 (audit hash chain) and 0031 (platform role)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('chain rows written before the migration, and go down and up again cleanly', async () => {
    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    try {
      // Back to just before 0030 (later migrations are reverted first and come back with it).
      const names = migrations.map((migration) => migration.name);
      const reverted = names.slice(names.indexOf('AuditHashChain1700000000030'));
      for (let i = 0; i < reverted.length; i++) await owner.undoLastMigration({ transaction: 'each' });
      await withClient(db.ownerUrl, async (c) => {
        const columns = await c.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'audit_logs' AND column_name IN ('hash', 'prev_hash')`);
        expect(columns.rows).toEqual([]);
        const grants = await c.query(`SELECT count(*)::int AS n FROM information_schema.role_table_grants WHERE grantee = '${db.roles.platform}'`);
        expect(grants.rows[0].n).toBe(0);
        // Legacy rows, as a pre-0030 database would have them.
        await c.query(`INSERT INTO audit_logs (tenant_id, action) VALUES ('default-tenant-001', 'legacy.one'), ('default-tenant-001', 'legacy.two')`);
      });
      expect((await owner.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(reverted);
    } finally {
      await owner.destroy();
    }
    // Rows written since 0050 are sealed after the chain's legacy prefix.
    await withClient(db.ownerUrl, (c) => c.query(`INSERT INTO audit_logs (tenant_id, action) VALUES ('default-tenant-001', 'after.migration')`));
    expect(await sealNow(db.appUrl)).toBe(1);
    await withClient(db.ownerUrl, async (c) => {
      const rows = (await c.query(`SELECT action, seq::int, prev_hash, hash FROM audit_logs WHERE tenant_id = 'default-tenant-001' ORDER BY seq NULLS FIRST, id`)).rows;
      expect(rows.map((row) => [row.action, row.seq])).toEqual([['legacy.one', null], ['legacy.two', null], ['after.migration', 1]]);
      expect(rows[0].prev_hash).toBeNull();
      expect(rows[1].prev_hash).toBe(rows[0].hash);
      expect(rows[2].prev_hash).toBe(rows[1].hash);
      const broken = await c.query(
        `SELECT count(*)::int AS n FROM (SELECT a.hash IS DISTINCT FROM fg_audit_hash(a) AS bad FROM audit_logs a) x WHERE bad`,
      );
      expect(broken.rows[0].n).toBe(0);
      expect((await c.query(VERIFY_CHAIN_SQL, ['default-tenant-001'])).rows).toEqual([{ checked: 3, first_broken_id: null, pending: 0 }]);
    });
  });
});
