import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

describe('fraudguard_platform: the operators-only cross-tenant role', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('cannot log in, bypasses RLS, and the app role can never become it', async () => {
    await withClient(db.ownerUrl, async (c) => {
      const { rows } = await c.query(`SELECT rolcanlogin, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = 'fraudguard_platform'`);
      expect(rows).toEqual([{ rolcanlogin: false, rolbypassrls: true, rolsuper: false }]);
      const member = await c.query(`SELECT pg_has_role('fraudguard_app', 'fraudguard_platform', 'MEMBER') AS member`);
      expect(member.rows[0].member).toBe(false);
    });
    await withClient(db.appUrl, async (c) => {
      await expect(c.query('SET ROLE fraudguard_platform')).rejects.toThrow(/permission denied/);
    });
  });

  it('reads across tenants but cannot edit or delete audit rows, nor change the schema', async () => {
    await withClient(db.ownerUrl, async (c) => {
      await c.query('BEGIN');
      await c.query('SET LOCAL ROLE fraudguard_platform');
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM tenants`);
      expect(rows[0].n).toBeGreaterThanOrEqual(1); // no tenant set, yet rows are visible
      await expect(c.query(`UPDATE audit_logs SET action = 'x'`)).rejects.toThrow(/permission denied/);
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await c.query('SET LOCAL ROLE fraudguard_platform');
      await expect(c.query(`DELETE FROM audit_logs`)).rejects.toThrow(/permission denied/);
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await c.query('SET LOCAL ROLE fraudguard_platform');
      await expect(c.query(`ALTER TABLE tenants ADD COLUMN x int`)).rejects.toThrow(/must be owner/);
      await c.query('ROLLBACK');
    });
  });
});
