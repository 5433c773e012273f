import pg from 'pg';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { VERIFY_CHAIN_SQL } from '../../src/audit/audit.entry.js';
import { createOwnerDataSource } from '../../src/database/data-source.js';
import { sealNow } from '../support/audit-seal.js';
import { seedTenant } from '../support/fixtures.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const DOMAIN_TABLES = ['accounts', 'transactions', 'fraud_alerts', 'system_logs'];

/**
 * The migrations, one describe per migration (or pair) that needs more than the schema checks of
 * entities.e2e-spec.ts and catalog.e2e-spec.ts. First the seed's conversion story on a single-tenant
 * database made by migration 0: rows in all four tables, then migrations 1..n; nothing is lost and
 * everything belongs to default-tenant-001 (a database made by hand: legacy-conversion.e2e-spec.ts).
 */
describe('migrations 0001 to the last, on a populated migration-0 database', () => {
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

/** Migration 0010 can be reverted and re-applied on a migrated database with users in it. */
describe('migration 0010 (accounts and login)', () => {
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
