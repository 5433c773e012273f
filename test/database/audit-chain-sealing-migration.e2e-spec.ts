import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import { VERIFY_CHAIN_SQL } from '../../src/audit/audit.entry.js';
import { createOwnerDataSource } from '../../src/database/data-source.js';
import { sealNow } from '../support/audit-seal.js';
import { seedTenant } from '../support/fixtures.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

/** 0050 and the migrations after it: reverted first, and applied again with it. */
const FROM_0050 = migrations.map((migration) => migration.name).slice(migrations.findIndex((migration) => migration.name === 'AuditChainSealing1700000000050'));

/** The chain rule before 0050: each tenant's rows in id order, each linked to the one before. */
const ID_ORDER_BREAKS = `SELECT count(*)::int AS n FROM (
    SELECT a.hash IS DISTINCT FROM fg_audit_hash(a) OR a.prev_hash IS DISTINCT FROM lag(a.hash) OVER (PARTITION BY a.tenant_id ORDER BY a.id) AS bad
      FROM audit_logs a) x WHERE bad`;

describe('migration 0050 (audit chain sealing)', () => {
  let db: TestDatabase;
  let tenantId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenantId = (await seedTenant(db.ownerUrl)).tenantId;
  });
  afterAll(() => db.drop());

  /** Audit rows written as a request would write them (app role, tenant set). */
  const writeRows = (actions: string[]) =>
    withClient(db.appUrl, async (c) => {
      for (const action of actions) {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('app.current_tenant', $1, true)`, [tenantId]);
        await c.query(`INSERT INTO audit_logs (tenant_id, action) VALUES ($1, $2)`, [tenantId, action]);
        await c.query('COMMIT');
      }
    });

  it('goes down with sealed and unsealed rows, re-linking them in id order for the old trigger', async () => {
    await writeRows(['sealed.one', 'sealed.two', 'sealed.three']);
    await sealNow(db.appUrl, tenantId);
    await writeRows(['pending.one', 'pending.two']);
    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    try {
      expect((await owner.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT ${FROM_0050.length}`)).map((m: { name: string }) => m.name)).toEqual([...FROM_0050].reverse());
      for (let i = 0; i < FROM_0050.length; i++) await owner.undoLastMigration({ transaction: 'each' });
    } finally {
      await owner.destroy();
    }
    await withClient(db.ownerUrl, async (c) => {
      const columns = await c.query(`SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'audit_logs' AND column_name IN ('hash', 'txid', 'seq')`);
      expect(columns.rows).toEqual([{ column_name: 'hash', is_nullable: 'NO' }]);
      expect((await c.query(`SELECT to_regclass('audit_chain_heads') AS t`)).rows[0].t).toBeNull();
      expect((await c.query(ID_ORDER_BREAKS)).rows[0].n).toBe(0);
      // The old trigger chains at insert again.
      await c.query(`INSERT INTO audit_logs (tenant_id, action) VALUES ($1, 'legacy.after_down')`, [tenantId]);
      expect((await c.query(ID_ORDER_BREAKS)).rows[0].n).toBe(0);
      expect((await c.query(`SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = $1`, [tenantId])).rows[0].n).toBe(6);
    });
  });

  it('applies again over a failed earlier attempt, keeping the existing chain as the verified prefix', async () => {
    // What an interrupted run leaves: the first step's column, and an index whose CONCURRENTLY build failed.
    await withClient(db.ownerUrl, async (c) => {
      await c.query(`ALTER TABLE audit_logs ADD COLUMN txid bigint`);
      await c.query(`CREATE INDEX idx_audit_unsealed ON audit_logs (tenant_id) WHERE hash IS NULL`);
      await c.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_audit_unsealed'::regclass`);
    });
    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    try {
      expect((await owner.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(FROM_0050);
    } finally {
      await owner.destroy();
    }
    await withClient(db.ownerUrl, async (c: pg.Client) => {
      const index = await c.query(`SELECT indisvalid, pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indexrelid = 'idx_audit_unsealed'::regclass`);
      expect(index.rows).toEqual([{ indisvalid: true, def: expect.stringContaining('(tenant_id, txid, id) WHERE (hash IS NULL)') }]);
      const last = (await c.query(`SELECT id::text, hash FROM audit_logs WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1`, [tenantId])).rows[0];
      const head = (await c.query(`SELECT seq::int, last_id::text, hash FROM audit_chain_heads WHERE tenant_id = $1`, [tenantId])).rows[0];
      expect(head).toEqual({ seq: 0, last_id: last.id, hash: last.hash });
      expect((await c.query(VERIFY_CHAIN_SQL, [tenantId])).rows).toEqual([{ checked: 6, first_broken_id: null, pending: 0 }]);
    });
    await writeRows(['after.up']);
    expect(await sealNow(db.appUrl, tenantId)).toBe(1);
    await withClient(db.ownerUrl, async (c) => {
      const rows = (await c.query(`SELECT action, seq::int, prev_hash, hash FROM audit_logs WHERE tenant_id = $1 ORDER BY seq NULLS FIRST, id`, [tenantId])).rows;
      expect(rows.at(-1)).toMatchObject({ action: 'after.up', seq: 1, prev_hash: rows.at(-2).hash });
      expect((await c.query(VERIFY_CHAIN_SQL, [tenantId])).rows).toEqual([{ checked: 7, first_broken_id: null, pending: 0 }]);
    });
  });
});
