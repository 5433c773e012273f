import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { createOwnerDataSource } from '../../src/database/data-source.js';
import {
  CONVERSION_RELATIONS,
  DatabaseRefusedError,
  inspectDatabase,
  LEGACY_SCHEMA,
  migrateDatabase,
} from '../../src/database/legacy-adoption.js';
import { PLANS } from '../../src/tenants/plans.js';
import { startAppProcess } from '../support/app-process.js';
import { catalogSnapshot } from '../support/catalog-snapshot.js';
import { runCli } from '../support/cli-process.js';
import { buildLegacyDatabase, LEGACY_SCHEMA_SQL, legacyChecksums } from '../support/legacy-database.mjs';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const DEFAULT_TENANT = 'default-tenant-001';
const LEGACY_TABLES = ['accounts', 'transactions', 'fraud_alerts', 'system_logs'];
const ALL_MIGRATIONS = migrations.map((migration) => new migration().name);

/** Columns of the four legacy tables, in order, with types and NOT NULL. */
async function legacyColumns(url: string): Promise<string[]> {
  return withClient(url, async (client) =>
    (
      await client.query(
        `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS c FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY table_name, ordinal_position`,
        [LEGACY_TABLES],
      )
    ).rows.map((row) => row.c),
  );
}

/** Every alert's single-tenant staff references, wherever they live (legacy_* once converted). */
async function staffReferences(url: string): Promise<{ id: string; assignee: number | null; handler: number | null }[]> {
  return withClient(url, async (client) => {
    const converted = (await client.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'fraud_alerts' AND column_name = 'legacy_assignee_id'`)).rowCount;
    const [assignee, handler] = converted ? ['legacy_assignee_id', 'legacy_handled_by'] : ['assignee_id', 'handled_by'];
    return (await client.query(`SELECT id, ${assignee} AS assignee, ${handler} AS handler FROM fraud_alerts ORDER BY id`)).rows;
  });
}

async function checksums(url: string) {
  return withClient(url, (client) => legacyChecksums(client));
}

/**
 * The conversion the seed guide is about, on a database as a real single-tenant installation has
 * it (test/support/legacy-database.mjs): hand-made schema, no migrations table, its own constraint
 * names, assigned and handled alerts, non-RFC-4122 ids, 50,000 transactions.
 */
describe('converting a single-tenant FraudGuard database', () => {
  let db: TestDatabase;
  let before: Awaited<ReturnType<typeof checksums>>;
  let columnsBefore: string[];
  let staffBefore: Awaited<ReturnType<typeof staffReferences>>;

  beforeAll(async () => {
    db = await createTestDatabase({ template: '' });
    await withClient(db.ownerUrl, (client) => buildLegacyDatabase(client, { transactions: 50_000 }));
    before = await checksums(db.ownerUrl);
    columnsBefore = await legacyColumns(db.ownerUrl);
    staffBefore = await staffReferences(db.ownerUrl);
  }, 300_000);
  afterAll(() => db?.drop());

  it('is built the way real installations are', async () => {
    expect(Object.fromEntries(Object.entries(before).map(([table, sum]) => [table, sum.rows]))).toEqual({
      accounts: 5_000, transactions: 50_000, fraud_alerts: 2_000, system_logs: 1_000,
    });
    expect(staffBefore.filter((alert) => alert.assignee !== null).length).toBe(1_000);
    expect(staffBefore.filter((alert) => alert.handler !== null).length).toBeGreaterThan(600);
    await withClient(db.ownerUrl, async (client) => {
      expect((await client.query(`SELECT to_regclass('public.migrations') AS t`)).rows[0].t).toBeNull();
      const keys = await client.query(`SELECT conname FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace ORDER BY 1`);
      expect(keys.rows.map((row) => row.conname)).toEqual(['pk_accounts', 'pk_fraud_alerts', 'pk_system_logs', 'pk_transactions']);
      const ids = await client.query(`SELECT id::text FROM accounts ORDER BY id LIMIT 1`);
      expect(ids.rows[0].id).toBe('00000000-0000-0000-0000-000000000001');
    });
    expect(await inspectDatabase(createQueryable(db.ownerUrl))).toEqual(expect.objectContaining({ state: 'legacy', otherTables: [] }));
  });

  it('is adopted and converted by the server at start-up, losing no row and no value', async () => {
    // It serves once the conversion is done: give it the time a loaded machine needs for 50,000 transactions.
    const app = await startAppProcess(db.ownerUrl, { MIGRATIONS_RUN: 'true', DEMO_API_KEY: 'true' }, { startTimeoutMs: 240_000 });
    try {
      expect(app.stdout()).toMatch(/adopted a single-tenant FraudGuard database \(accounts ~\d+ rows, transactions ~\d+ rows, fraud_alerts ~\d+ rows, system_logs ~\d+ rows\): migration 0 recorded as its baseline/);
      expect(app.stdout()).toContain(`single-tenant data converted into tenant ${DEFAULT_TENANT} (ENTERPRISE plan)`);
      // The converted tenant's keys are the operators' to issue (below), not a demo key.
      expect(app.stdout()).not.toMatch(/Demo tenant|fgk_live_/);
      const ready = await fetch(`${app.baseUrl}/health/ready`);
      expect(ready.status).toBe(200);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }

    await withClient(db.ownerUrl, async (client) => {
      expect((await client.query(`SELECT name FROM migrations ORDER BY id`)).rows.map((row) => row.name)).toEqual(ALL_MIGRATIONS);
      for (const table of LEGACY_TABLES) {
        const { rows } = await client.query(`SELECT tenant_id, count(*)::int AS n FROM ${table} GROUP BY 1`);
        expect({ table, rows }).toEqual({ table, rows: [{ tenant_id: DEFAULT_TENANT, n: before[table].rows }] });
      }
      // The staff ids have no tenant_users row: the new references are empty, nothing points nowhere.
      const assigned = await client.query(`SELECT count(*)::int AS n FROM fraud_alerts WHERE assignee_id IS NOT NULL OR handled_by IS NOT NULL`);
      expect(assigned.rows[0].n).toBe(0);
      const tenant = await client.query(
        `SELECT plan, status, trial_ends_at, max_users, max_transactions_per_month, max_storage_gb FROM tenants WHERE tenant_id = $1`,
        [DEFAULT_TENANT],
      );
      const { max_users, max_transactions_per_month, max_storage_gb } = PLANS.ENTERPRISE;
      expect(tenant.rows).toEqual([{ plan: 'ENTERPRISE', status: 'ACTIVE', trial_ends_at: null, max_users, max_transactions_per_month, max_storage_gb }]);
      const profiles = await client.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE profile ? 'count')::int AS built FROM account_profiles`);
      expect(profiles.rows).toEqual([{ n: 5_000, built: 5_000 }]);
    });
    expect(await checksums(db.ownerUrl)).toEqual(before);
    expect(await staffReferences(db.ownerUrl)).toEqual(staffBefore);
    // The app role sees the converted rows as the default tenant's, and nothing without a tenant.
    await withClient(db.appUrl, async (client) => {
      expect((await client.query(`SELECT count(*)::int AS n FROM transactions`)).rows[0].n).toBe(0);
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.current_tenant', $1, true)`, [DEFAULT_TENANT]);
      expect((await client.query(`SELECT count(*)::int AS n FROM transactions`)).rows[0].n).toBe(50_000);
      await client.query('ROLLBACK');
    });
  }, 300_000);

  it('takes its first ADMIN and API key from the CLI, and serves the legacy rows by their ids, staff references included', async () => {
    const admin = await runCli(db.ownerUrl, ['user:create', '--tenant', DEFAULT_TENANT, '--email', 'ops@bank.example', '--role', 'ADMIN']);
    expect({ code: admin.code, stderr: admin.stderr }).toEqual({ code: 0, stderr: '' });
    expect(admin.json).toMatchObject({ tenant_id: DEFAULT_TENANT, role: 'ADMIN', password: expect.any(String) });
    const issued = await runCli(db.ownerUrl, ['apikey:create', '--tenant', DEFAULT_TENANT, '--name', 'verify', '--scopes', 'read:accounts,read:transactions,read:alerts']);
    expect(issued.code).toBe(0);
    const key: string = issued.json.api_key;

    const expected = await withClient(db.ownerUrl, async (client) => ({
      accounts: (await client.query(`SELECT id, external_ref, status FROM accounts ORDER BY id`)).rows,
      transactions: (await client.query(`SELECT id, account_id, merchant, status FROM transactions ORDER BY id`)).rows,
      alerts: (
        await client.query(
          `SELECT id, transaction_id, resolution, note, assignee_id, handled_by, legacy_assignee_id, legacy_handled_by FROM fraud_alerts ORDER BY id`,
        )
      ).rows,
    }));
    expect(expected.transactions).toHaveLength(before.transactions.rows);

    // `npm start` as deployed, in its own process; eight requests at a time over kept-alive connections.
    const app = await startAppProcess(db.ownerUrl, { RATE_LIMIT_ENABLED: 'false' });
    try {
      const get = async (url: string) => {
        const res = await fetch(`${app.baseUrl}${url}`, { headers: { 'X-API-Key': key } });
        if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
        return (await res.json()) as Record<string, any>;
      };
      async function readEach<T extends { id: string }>(rows: T[], path: string): Promise<T[]> {
        const fields = Object.keys(rows[0]) as (keyof T)[];
        const read: T[] = new Array(rows.length);
        let next = 0;
        const worker = async () => {
          for (let i = next++; i < rows.length; i = next++) {
            const body = await get(`/api/v1/${path}/${rows[i].id}`);
            read[i] = Object.fromEntries(fields.map((field) => [field, body[field as string]])) as T;
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        return read;
      }
      // Every account and every alert (with its staff references) by id.
      expect(await readEach(expected.accounts, 'accounts')).toEqual(expected.accounts);
      expect(await readEach(expected.alerts, 'alerts')).toEqual(expected.alerts);
      const staff = expected.alerts.filter((alert) => alert.legacy_assignee_id !== null || alert.legacy_handled_by !== null);
      expect(staff.length).toBeGreaterThan(1_000);
      // Every transaction through the list, page by page; one in twenty (both id shapes) by id.
      const listed: string[] = [];
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const page = await get(`/api/v1/transactions?limit=100${cursor ? `&starting_after=${cursor}` : ''}`);
        listed.push(...page.data.map((row: { id: string }) => row.id));
        cursor = page.next_cursor;
      }
      expect(listed.sort()).toEqual(expected.transactions.map((row) => row.id).sort());
      const sample = expected.transactions.filter((_, index) => index % 20 === 0);
      expect(sample.filter((row) => row.id.startsWith('00000000-')).length).toBeGreaterThan(500);
      expect(sample.filter((row) => !row.id.startsWith('00000000-')).length).toBeGreaterThan(500);
      expect(await readEach(sample, 'transactions')).toEqual(sample);

      const tenant = await get('/api/v1/tenants/me');
      const { max_users, max_transactions_per_month, max_storage_gb } = PLANS.ENTERPRISE;
      expect(tenant).toMatchObject({ tenant_id: DEFAULT_TENANT, plan: 'ENTERPRISE', status: 'ACTIVE', trial_ends_at: null, max_users, max_transactions_per_month, max_storage_gb });
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  }, 600_000);

  it('takes its limits from the plan table, as the column defaults (a new tenant, STARTER) do', async () => {
    await withClient(db.ownerUrl, async (client) => {
      const { rows } = await client.query(
        `SELECT column_name, column_default FROM information_schema.columns
          WHERE table_name = 'tenants' AND column_name IN ('plan', 'max_users', 'max_transactions_per_month', 'max_storage_gb')
          ORDER BY column_name`,
      );
      const { max_users, max_transactions_per_month, max_storage_gb } = PLANS.STARTER;
      expect(Object.fromEntries(rows.map((row) => [row.column_name, row.column_default]))).toEqual({
        plan: `'STARTER'::character varying`,
        max_users: String(max_users),
        max_transactions_per_month: String(max_transactions_per_month),
        max_storage_gb: String(max_storage_gb),
      });
    });
  });

  it('ends with the schema a freshly migrated database has, but for its own CHECK and sequence names', async () => {
    const fresh = await createTestDatabase();
    try {
      expect(await catalogSnapshot(db.ownerUrl, { hideHandMadeNames: true })).toEqual(await catalogSnapshot(fresh.ownerUrl, { hideHandMadeNames: true }));
    } finally {
      await fresh.drop();
    }
  });

  it('reverts to migration 0 with identical checksums, and converts again through the CLI, with the plan the operator chose', async () => {
    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    try {
      for (let i = 1; i < ALL_MIGRATIONS.length; i++) await owner.undoLastMigration({ transaction: 'each' });
    } finally {
      await owner.destroy();
    }
    expect(await checksums(db.ownerUrl)).toEqual(before);
    expect(await staffReferences(db.ownerUrl)).toEqual(staffBefore);
    expect(await legacyColumns(db.ownerUrl)).toEqual(columnsBefore);
    await withClient(db.ownerUrl, async (client) => {
      expect((await client.query(`SELECT name FROM migrations`)).rows).toEqual([{ name: ALL_MIGRATIONS[0] }]);
      const left = await client.query(`SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1)`, [CONVERSION_RELATIONS]);
      expect(left.rows).toEqual([]);
    });

    // Back to where it started (docs/upgrading.md, roll back): without the migrations table it is a
    // single-tenant database again, now with PostgreSQL's own constraint names. The CLI converts it.
    await withClient(db.ownerUrl, (client) => client.query(`DROP TABLE migrations`));
    const snapshot = await catalogSnapshot(db.ownerUrl);
    const plan = await runCli(db.ownerUrl, ['migrate', '--dry-run', '--tenant-plan', 'PROFESSIONAL']);
    expect({ code: plan.code, stderr: plan.stderr }).toEqual({ code: 0, stderr: '' });
    expect(plan.json).toMatchObject({
      dry_run: true,
      database: 'legacy',
      adoption: expect.stringContaining('migration 0 is recorded as applied'),
      converted_tenant: { tenant_id: DEFAULT_TENANT, plan: 'PROFESSIONAL' },
    });
    expect(plan.json.tables.map((table: { table: string }) => table.table)).toEqual(LEGACY_TABLES);
    expect(plan.json.pending.map((migration: { name: string }) => migration.name)).toEqual(ALL_MIGRATIONS.slice(1));
    expect(plan.json.estimated_seconds).toBeGreaterThan(0);
    // A catalog change waits at most one short lock_timeout, whatever the size of the tables.
    const stepwise = plan.json.pending.filter((migration: { step_by_step: boolean }) => migration.step_by_step);
    expect(stepwise.map((migration: { longest_wait_seconds: number }) => migration.longest_wait_seconds <= 0.3)).toEqual(stepwise.map(() => true));
    expect(await catalogSnapshot(db.ownerUrl)).toEqual(snapshot);

    const converted = await runCli(db.ownerUrl, ['migrate', '--tenant-plan', 'PROFESSIONAL']);
    expect({ code: converted.code, stderr: converted.stderr }).toEqual({ code: 0, stderr: '' });
    expect(converted.json).toEqual({
      database: 'legacy',
      adopted: true,
      applied: ALL_MIGRATIONS.slice(1),
      converted_tenant: { tenant_id: DEFAULT_TENANT, plan: 'PROFESSIONAL' },
    });
    expect(await checksums(db.ownerUrl)).toEqual(before);
    expect(await staffReferences(db.ownerUrl)).toEqual(staffBefore);
    await withClient(db.ownerUrl, async (client) => {
      expect((await client.query(`SELECT name FROM migrations ORDER BY id`)).rows.map((row) => row.name)).toEqual(ALL_MIGRATIONS);
      const tenant = await client.query(`SELECT plan, status, trial_ends_at, max_users, max_transactions_per_month, max_storage_gb FROM tenants`);
      const { max_users, max_transactions_per_month, max_storage_gb } = PLANS.PROFESSIONAL;
      expect(tenant.rows).toEqual([{ plan: 'PROFESSIONAL', status: 'ACTIVE', trial_ends_at: null, max_users, max_transactions_per_month, max_storage_gb }]);
    });
  }, 300_000);
});

/** A pg client as the catalog helpers want it, connecting per query (they only read). */
function createQueryable(url: string) {
  return { query: (sql: string, parameters?: unknown[]) => withClient(url, async (client) => (await client.query(sql, parameters)).rows) };
}

describe('adopting or refusing a database with no recorded migrations', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  async function databaseWith(sql: string): Promise<TestDatabase> {
    const db = await createTestDatabase({ template: '' });
    databases.push(db);
    await withClient(db.ownerUrl, (client) => client.query(sql));
    return db;
  }

  /** Runs `npm start`'s migration step and expects a refusal that names every `problem`, with the database unchanged. */
  async function expectRefused(db: TestDatabase, problems: RegExp[]): Promise<void> {
    const snapshot = await catalogSnapshot(db.ownerUrl);
    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    try {
      const refusal = await migrateDatabase(owner).then(
        () => undefined,
        (error) => error,
      );
      expect(refusal).toBeInstanceOf(DatabaseRefusedError);
      expect(refusal.message).not.toContain('\n');
      expect(refusal.message).toMatch(new RegExp(`^refusing to migrate database "${db.name}": .*Nothing was changed`));
      for (const problem of problems) expect(refusal.message).toMatch(problem);
    } finally {
      await owner.destroy();
    }
    expect(await catalogSnapshot(db.ownerUrl)).toEqual(snapshot);
    await withClient(db.ownerUrl, async (client) => {
      expect((await client.query(`SELECT to_regclass('public.migrations') AS t`)).rows[0].t).toBeNull();
    });
  }

  it('says exactly which columns and types differ from the single-tenant schema', async () => {
    const db = await databaseWith(
      LEGACY_SCHEMA_SQL.replace('amount             numeric(18, 4) NOT NULL', 'amount numeric(12, 2) NOT NULL')
        .replace('device_id          varchar(128),', '')
        .replace('holder_name   varchar(255),', 'holder_name varchar(255), email text,')
        .replace('note            text,', 'note text NOT NULL,'),
    );
    await expectRefused(db, [
      /transactions\.amount is numeric\(12,2\), expected numeric\(18,4\)/,
      /transactions\.device_id missing/,
      /accounts\.email \(text\) is not in the single-tenant schema/,
      /fraud_alerts\.note is NOT NULL, expected nullable/,
    ]);
  });

  it('refuses a database of something else, a half-converted one, and rows the converted keys would reject', async () => {
    await expectRefused(await databaseWith(`CREATE TABLE orders (id int PRIMARY KEY); CREATE TABLE customers (id int)`), [
      /it has tables customers, orders and none of FraudGuard's/,
    ]);
    await expectRefused(await databaseWith(`${LEGACY_SCHEMA_SQL}; CREATE TABLE tenants (tenant_id varchar(64) PRIMARY KEY)`), [
      /it already has tenants, tenants_pkey, which the conversion creates/,
    ]);
    await expectRefused(await databaseWith(LEGACY_SCHEMA_SQL.replace(/CREATE TABLE system_logs[\s\S]*\);\s*$/, '')), [
      /table system_logs missing/,
    ]);
    const orphans = await databaseWith(`
      ${LEGACY_SCHEMA_SQL.replace('CONSTRAINT fk_transactions_account FOREIGN KEY (account_id) REFERENCES accounts (id),', '')
        .replace('CONSTRAINT uq_accounts_external_ref UNIQUE (external_ref),', '')}
      INSERT INTO accounts (external_ref) VALUES ('A'), ('A');
      INSERT INTO transactions (account_id, amount, currency, merchant) VALUES (gen_random_uuid(), 1, 'EUR', 'M');`);
    await expectRefused(orphans, [
      /accounts\.external_ref is not unique \(1 duplicated value\(s\)\)/,
      /1 row\(s\) of transactions reference a missing accounts row \(account_id\)/,
    ]);
  });

  it('stops `npm start` with that one line and exit status 1', async () => {
    const db = await databaseWith(LEGACY_SCHEMA_SQL.replace('currency           char(3) NOT NULL', 'currency text NOT NULL'));
    const snapshot = await catalogSnapshot(db.ownerUrl);
    const app = await startAppProcess(db.ownerUrl, { MIGRATIONS_RUN: 'true' }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(app?.message).toMatch(
      /FraudGuard failed to start: refusing to migrate database "[^"]+": it is neither empty nor a single-tenant FraudGuard database \(migration 0's schema\): transactions\.currency is text, expected character\(3\)\. Nothing was changed \(docs\/upgrading\.md\)\n/,
    );
    expect(await catalogSnapshot(db.ownerUrl)).toEqual(snapshot);
  });

  it('adopts a database that migration 0 made, with PostgreSQL’s own constraint names, and one an interrupted adoption left', async () => {
    const db = await databaseWith('');
    const legacy = createOwnerDataSource(db.ownerUrl);
    legacy.setOptions({ migrations: [migrations[0]] });
    await legacy.initialize();
    await legacy.runMigrations();
    await legacy.query(`DELETE FROM migrations`); // as if adoption stopped between creating its table and its row
    await legacy.query(`INSERT INTO accounts (external_ref) VALUES ('a'), ('b')`);
    await legacy.destroy();

    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    try {
      const run = await migrateDatabase(owner, { tenantPlan: 'PROFESSIONAL' });
      expect(run.inspection.state).toBe('legacy');
      expect(run.applied).toEqual(ALL_MIGRATIONS.slice(1));
      expect(run.convertedTenantPlan).toBe('PROFESSIONAL');
      const [tenant] = await owner.query(`SELECT plan, max_users, max_transactions_per_month, max_storage_gb, trial_ends_at FROM tenants`);
      const { max_users, max_transactions_per_month, max_storage_gb } = PLANS.PROFESSIONAL;
      expect(tenant).toEqual({ plan: 'PROFESSIONAL', max_users, max_transactions_per_month, max_storage_gb, trial_ends_at: null });
      expect((await owner.query(`SELECT count(*)::int AS n FROM accounts WHERE tenant_id = $1`, [DEFAULT_TENANT]))[0].n).toBe(2);
    } finally {
      await owner.destroy();
    }
  });

  it('knows migration 0’s schema and every relation the conversion creates', async () => {
    const zero = await databaseWith('');
    const legacy = createOwnerDataSource(zero.ownerUrl);
    legacy.setOptions({ migrations: [migrations[0]] });
    await legacy.initialize();
    await legacy.runMigrations();
    const columns: { table: string; name: string; type: string; notNull: boolean }[] = await legacy.query(
      `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull"
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> 'migrations' AND c.relkind = 'r' AND a.attnum > 0
        ORDER BY c.relname, a.attnum`,
    );
    const schema: typeof LEGACY_SCHEMA = {};
    for (const { table, name, type, notNull } of columns) (schema[table] ??= {})[name] = { type, notNull };
    expect(schema).toEqual(LEGACY_SCHEMA);
    const relations = `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'i')`;
    const legacyRelations: string[] = (await legacy.query(relations)).map((row: { relname: string }) => row.relname);
    await legacy.destroy();
    const fresh = await createTestDatabase();
    databases.push(fresh);
    const freshRelations = await withClient(fresh.ownerUrl, async (client) => (await client.query(relations)).rows.map((row) => row.relname));
    expect(freshRelations.filter((name) => !legacyRelations.includes(name)).sort()).toEqual([...CONVERSION_RELATIONS].sort());
  });
});

/** A QueryRunner that fails its `n`-th query, as a killed process or a lost connection would stop a migration. */
function failingAt(runner: QueryRunner, n: number): QueryRunner {
  let count = 0;
  return new Proxy(runner, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (...args: Parameters<QueryRunner['query']>) => {
        if (++count === n) return Promise.reject(new Error(`interrupted at query ${n}`));
        return target.query.apply(receiver, args);
      };
    },
  });
}

/**
 * Migrations that run outside one transaction commit step by step, so an interruption leaves part
 * of their work done: run again, each finishes with exactly the schema an uninterrupted run makes.
 */
describe('resuming an interrupted conversion', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ template: '' });
    await withClient(db.ownerUrl, (client) => buildLegacyDatabase(client, { transactions: 300 }));
  }, 60_000);
  afterAll(() => db?.drop());

  const stepwise: MigrationInterface[] = migrations.map((migration) => new migration()).filter((migration: MigrationInterface) => migration.transaction === false);

  it('covers every migration that runs outside a transaction', () => {
    expect(stepwise.map((migration) => migration.name)).toEqual([
      'TenantIdEverywhere1700000000002', 'TransactionIngest1700000000020', 'AccountProfiles1700000000041',
      'ExternalIdPartialUnique1700000000042', 'TransactionsReachTenantThroughAccount1700000000043',
      'AuditChainSealing1700000000050', 'QuotaSlots1700000000060', 'TransactionAccountRef1700000000101',
    ]);
  });

  it.each(stepwise.map((migration) => [migration.name!, migration] as const))('%s finishes after an interruption at any of up to 30 points of its run', async (name, migration: MigrationInterface) => {
    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    const runner = owner.createQueryRunner();
    try {
      // Every migration before this one, applied (adopting the database the first time).
      await migrateDatabaseUpTo(owner, name);
      const sums = await checksums(db.ownerUrl);
      await migration.up(runner);
      const done = await catalogSnapshot(db.ownerUrl);
      const steps = await countQueries(runner, migration);
      expect(steps).toBeGreaterThan(3);
      // At most 30 interruption points, spread over the run (migration 2 sends about 200 queries).
      const stride = Math.ceil(steps / 30);
      for (let n = 1; n <= steps; n += stride) {
        await migration.down(runner);
        await expect(migration.up(failingAt(runner, n))).rejects.toThrow(`interrupted at query ${n}`);
        await migration.up(runner);
        expect({ n, schema: await catalogSnapshot(db.ownerUrl) }).toEqual({ n, schema: done });
      }
      expect(await checksums(db.ownerUrl)).toEqual(sums);
    } finally {
      await runner.release();
      await owner.destroy();
    }
  }, 120_000);

  it('drops and rebuilds an index an interrupted CREATE INDEX CONCURRENTLY left invalid', async () => {
    const owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
    const runner = owner.createQueryRunner();
    try {
      const migration = stepwise.find((m) => m.name === 'TransactionIngest1700000000020')!;
      await migration.down(runner);
      // What PostgreSQL leaves when a concurrent build dies: the index exists, marked invalid.
      await runner.query(`CREATE INDEX idx_accounts_tenant_created ON accounts (tenant_id)`);
      await runner.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_accounts_tenant_created'::regclass`);
      await migration.up(runner);
      const [index] = await runner.query(
        `SELECT pg_get_indexdef(indexrelid) AS definition, indisvalid AS valid FROM pg_index WHERE indexrelid = 'idx_accounts_tenant_created'::regclass`,
      );
      expect(index).toEqual({ definition: expect.stringContaining('(tenant_id, created_at DESC, id DESC)'), valid: true });
    } finally {
      await runner.release();
      await owner.destroy();
    }
  });
});

/** Adopts the database if need be, then applies the migrations before `name` (and reverts those after it). */
async function migrateDatabaseUpTo(owner: DataSource, name: string): Promise<void> {
  const index = ALL_MIGRATIONS.indexOf(name);
  const url = (owner.options as { url: string }).url;
  const applied: string[] = (await owner.query(`SELECT name FROM migrations ORDER BY id`).catch(() => [])).map((row: { name: string }) => row.name);
  if (!applied.length) {
    const partial = createOwnerDataSource(url);
    partial.setOptions({ migrations: migrations.slice(0, index) });
    await partial.initialize();
    try {
      await migrateDatabase(partial);
    } finally {
      await partial.destroy();
    }
    return;
  }
  for (let i = applied.length; i > index; i--) await owner.undoLastMigration({ transaction: 'each' });
  const partial = createOwnerDataSource(url);
  partial.setOptions({ migrations: migrations.slice(0, index) });
  await partial.initialize();
  try {
    await partial.runMigrations({ transaction: 'each' });
  } finally {
    await partial.destroy();
  }
}

/** How many queries one uninterrupted run of `migration` sends (from its reverted state). */
async function countQueries(runner: QueryRunner, migration: MigrationInterface): Promise<number> {
  await migration.down(runner);
  let count = 0;
  const counting = new Proxy(runner, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (...args: Parameters<QueryRunner['query']>) => {
        count++;
        return target.query.apply(receiver, args);
      };
    },
  });
  await migration.up(counting);
  return count;
}
