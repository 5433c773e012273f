import { createOwnerDataSource } from '../../src/database/data-source.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

/** Migration 0010 can be reverted and re-applied on a migrated database with users in it. */
describe('migration 1700000000010 (accounts and login)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('reverts cleanly, keeps the users, and applies again', async () => {
    await withClient(db.ownerUrl, (client) =>
      client.query(`INSERT INTO tenant_users (tenant_id, email, password_hash, role) VALUES ('default-tenant-001', 'keep@example.com', 'x', 'ADMIN')`));
    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    try {
      // Revert 0010 and every migration after it, newest first.
      const names = owner.migrations.map((m) => m.name!);
      const later = names.slice(names.indexOf('AccountsAndLogin1700000000010'));
      for (let i = 0; i < later.length; i++) await owner.undoLastMigration({ transaction: 'each' });
      await withClient(db.ownerUrl, async (client) => {
        expect((await client.query(`SELECT to_regclass('tenant_refresh_tokens') AS t`)).rows[0].t).toBeNull();
        expect((await client.query(`SELECT 1 FROM pg_proc WHERE proname IN ('fg_login_lookup', 'fg_auth_principal', 'fg_signup_conflicts')`)).rowCount).toBe(0);
        expect((await client.query(`SELECT count(*)::int AS n FROM tenant_users`)).rows[0].n).toBe(1);
      });
      expect((await owner.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(later);
      await withClient(db.ownerUrl, async (client) => {
        const { rows } = await client.query(`SELECT failed_login_count, locked_until FROM tenant_users WHERE email = 'keep@example.com'`);
        expect(rows).toEqual([{ failed_login_count: 0, locked_until: null }]);
      });
    } finally {
      await owner.destroy();
    }
  });
});
