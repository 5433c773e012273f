import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import {
  foreignKeysOn,
  indexesOn,
  primaryKey,
  referencingForeignKeys,
  sameColumns,
  uniqueConstraints,
  type Queryable,
} from '../../migrations/catalog.js';
import { DEFAULT_TENANT_ID } from '../tenants/default-tenant.js';
import { PLANS, type Plan } from '../tenants/plans.js';

/** Migration 0, the single-tenant schema: recorded as the baseline of an adopted database. */
const BASELINE_MIGRATION = migrations[0];
/** The migration that moves the single-tenant rows into the default tenant (migration 2). */
export const CONVERSION_MIGRATION = 'TenantIdEverywhere1700000000002';

/**
 * Adopting a single-tenant FraudGuard database: one made before migrations were recorded (by
 * hand, or by the single-tenant product), which has the four legacy tables and no `migrations`
 * table. Its shape is checked against migration 0's schema; when it matches, migration 0 is
 * recorded as applied (its baseline) and the later migrations convert it. Anything that is neither
 * empty, nor migrated, nor that schema is refused before anything is changed.
 *
 * Nest-free: start-up (database-startup.ts) and the CLI both call it with the owner's DataSource.
 */

/** Migration 0's tables, columns, types (as format_type() prints them) and NOT NULL flags. */
export const LEGACY_SCHEMA: Record<string, Record<string, { type: string; notNull: boolean }>> = {
  accounts: {
    id: { type: 'uuid', notNull: true },
    external_ref: { type: 'character varying(128)', notNull: true },
    holder_name: { type: 'character varying(255)', notNull: false },
    country: { type: 'character(2)', notNull: false },
    status: { type: 'character varying(16)', notNull: true },
    created_at: { type: 'timestamp with time zone', notNull: true },
    updated_at: { type: 'timestamp with time zone', notNull: true },
  },
  transactions: {
    id: { type: 'uuid', notNull: true },
    account_id: { type: 'uuid', notNull: true },
    external_id: { type: 'character varying(128)', notNull: false },
    amount: { type: 'numeric(18,4)', notNull: true },
    currency: { type: 'character(3)', notNull: true },
    merchant: { type: 'character varying(255)', notNull: true },
    merchant_category: { type: 'character(4)', notNull: false },
    country: { type: 'character(2)', notNull: false },
    ip_address: { type: 'inet', notNull: false },
    device_id: { type: 'character varying(128)', notNull: false },
    txn_time: { type: 'timestamp with time zone', notNull: true },
    status: { type: 'character varying(16)', notNull: true },
    risk_score: { type: 'numeric(5,4)', notNull: false },
    risk_level: { type: 'character varying(16)', notNull: false },
    reasons: { type: 'jsonb', notNull: true },
    scoring_config: { type: 'jsonb', notNull: false },
    metadata: { type: 'jsonb', notNull: false },
    created_at: { type: 'timestamp with time zone', notNull: true },
  },
  fraud_alerts: {
    id: { type: 'uuid', notNull: true },
    transaction_id: { type: 'uuid', notNull: true },
    severity: { type: 'character varying(16)', notNull: true },
    risk_score: { type: 'numeric(5,4)', notNull: true },
    reasons: { type: 'jsonb', notNull: true },
    handled: { type: 'boolean', notNull: true },
    resolution: { type: 'character varying(32)', notNull: false },
    note: { type: 'text', notNull: false },
    assignee_id: { type: 'integer', notNull: false },
    handled_by: { type: 'integer', notNull: false },
    handled_at: { type: 'timestamp with time zone', notNull: false },
    created_at: { type: 'timestamp with time zone', notNull: true },
    updated_at: { type: 'timestamp with time zone', notNull: true },
  },
  system_logs: {
    id: { type: 'bigint', notNull: true },
    level: { type: 'character varying(16)', notNull: true },
    source: { type: 'character varying(64)', notNull: false },
    message: { type: 'text', notNull: true },
    context: { type: 'jsonb', notNull: false },
    created_at: { type: 'timestamp with time zone', notNull: true },
  },
};

export const LEGACY_TABLES = Object.keys(LEGACY_SCHEMA);

/**
 * Relations (tables, indexes, sequences) that the conversion creates in `public`, including the
 * names it builds under before attaching. A database that already has one is refused: the
 * conversion would stop half-way on it, or worse, take it for its own.
 */
export const CONVERSION_RELATIONS = [
  // every migration after 0, on a fresh database (test/database/legacy-conversion.e2e-spec.ts keeps this list exact)
  'account_profiles', 'account_profiles_pkey', 'accounts_tenant_external_ref_key', 'audit_chain_heads',
  'audit_chain_heads_pkey', 'audit_logs', 'audit_logs_id_seq',
  'audit_logs_pkey', 'idempotency_keys', 'idempotency_keys_pkey', 'idx_accounts_tenant_created', 'idx_accounts_tenant_id',
  'idx_alerts_tenant_created', 'idx_alerts_tenant_handled', 'idx_alerts_tenant_handled_created', 'idx_alerts_tenant_transaction',
  'idx_api_keys_hash', 'idx_api_keys_tenant', 'idx_audit_chain', 'idx_audit_resource', 'idx_audit_tenant_action',
  'idx_audit_tenant_time', 'idx_audit_tenant_user', 'idx_audit_unsealed', 'idx_idempotency_keys_tenant_expires', 'idx_password_resets_user', 'idx_refresh_tokens_family',
  'idx_refresh_tokens_user', 'idx_system_logs_tenant_time', 'idx_tenant_users_active', 'idx_tenant_users_email',
  'idx_tenant_users_tenant', 'idx_tenants_status', 'idx_tenants_subdomain', 'idx_transactions_tenant_account_time',
  'idx_transactions_tenant_time', 'tenant_api_keys', 'tenant_api_keys_id_seq', 'tenant_api_keys_key_hash_key',
  'tenant_api_keys_pkey', 'tenant_monthly_usage', 'tenant_monthly_usage_pkey', 'tenant_password_resets',
  'tenant_password_resets_hash_key', 'tenant_password_resets_id_seq', 'tenant_password_resets_pkey', 'tenant_refresh_tokens',
  'tenant_refresh_tokens_hash_key', 'tenant_refresh_tokens_id_seq', 'tenant_refresh_tokens_pkey', 'tenant_users',
  'tenant_users_id_seq', 'tenant_users_pkey', 'tenant_users_tenant_id_email_key', 'tenants',
  'tenants_pkey', 'tenants_subdomain_key', 'transactions_tenant_external_id_key',
];
/** Names indexes are built under before they become keys (migrations 2 and 42), and keys later dropped. */
export const CONVERSION_BUILD_NAMES = [
  'accounts_tenant_pkey', 'transactions_tenant_pkey', 'fraud_alerts_tenant_pkey', 'system_logs_tenant_pkey',
  'transactions_tenant_external_id_partial',
  // created by migration 1, dropped by migration 80
  'tenants_admin_email_key',
];

/** Keys migration 2 replaces; a hand-made database may lack one only if its data obeys the rule anyway. */
const LEGACY_UNIQUE = [
  { table: 'accounts', column: 'external_ref' },
  { table: 'transactions', column: 'external_id' },
];
const LEGACY_REFERENCES = [
  { table: 'transactions', column: 'account_id', referencedTable: 'accounts' },
  { table: 'fraud_alerts', column: 'transaction_id', referencedTable: 'transactions' },
];

export interface LegacyTableSize {
  table: string;
  /** The planner's estimate (pg_class.reltuples), or an exact count when the table was never analysed. */
  rows: number;
  /** Heap, indexes and TOAST, in bytes. */
  bytes: number;
}

export type DatabaseInspection =
  | { state: 'empty' }
  | { state: 'migrated'; applied: string[] }
  | { state: 'legacy'; tables: LegacyTableSize[]; otherTables: string[] }
  | { state: 'refused'; problems: string[] };

/** The one-line refusal: what differs, and that nothing was changed. */
export class DatabaseRefusedError extends Error {
  constructor(
    readonly database: string,
    readonly problems: string[],
  ) {
    super(
      `refusing to migrate database "${database}": it is neither empty nor a single-tenant FraudGuard database ` +
        `(migration 0's schema): ${problems.join('; ')}. Nothing was changed (docs/upgrading.md)`,
    );
    this.name = 'DatabaseRefusedError';
  }
}

async function publicTables(q: Queryable): Promise<string[]> {
  const rows: { name: string }[] = await q.query(
    `SELECT c.relname::text AS name FROM pg_catalog.pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

async function migrationsTable(q: Queryable): Promise<{ applied: string[] } | { problem: string } | undefined> {
  const columns: { name: string }[] = await q.query(
    `SELECT a.attname::text AS name FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = pg_catalog.to_regclass('public.migrations') AND a.attnum > 0 AND NOT a.attisdropped`,
  );
  if (!columns.length) return undefined;
  const names = columns.map((column) => column.name);
  if (!['id', 'timestamp', 'name'].every((name) => names.includes(name))) {
    return { problem: `its table "migrations" is not TypeORM's (columns ${names.join(', ')})` };
  }
  const rows: { name: string }[] = await q.query(`SELECT name FROM public.migrations ORDER BY id`);
  return { applied: rows.map((row) => row.name) };
}

/** Differences between the legacy tables present and migration 0's schema, table by table. */
async function shapeProblems(q: Queryable, present: string[]): Promise<string[]> {
  const problems: string[] = [];
  const missing = LEGACY_TABLES.filter((table) => !present.includes(table));
  if (missing.length) problems.push(`table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`);
  for (const table of LEGACY_TABLES.filter((name) => present.includes(name))) {
    const expected = LEGACY_SCHEMA[table];
    const rows: { name: string; type: string; notNull: boolean }[] = await q.query(
      `SELECT a.attname::text AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull"
         FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [`public.${table}`],
    );
    const found = new Map(rows.map((row) => [row.name, row]));
    for (const [name, want] of Object.entries(expected)) {
      const got = found.get(name);
      if (!got) problems.push(`${table}.${name} missing`);
      else if (got.type !== want.type) problems.push(`${table}.${name} is ${got.type}, expected ${want.type}`);
      else if (got.notNull !== want.notNull) problems.push(`${table}.${name} is ${got.notNull ? 'NOT NULL' : 'nullable'}, expected ${want.notNull ? 'NOT NULL' : 'nullable'}`);
    }
    for (const row of rows) {
      if (!expected[row.name]) problems.push(`${table}.${row.name} (${row.type}) is not in the single-tenant schema`);
    }
  }
  return problems;
}

async function count(q: Queryable, sql: string): Promise<number> {
  const [row] = await q.query(sql);
  return Number(row.n);
}

/**
 * Keys the conversion replaces, found by their columns. When one is missing, the data must still
 * obey it (the converted keys are unique and checked), so the rows are checked instead.
 */
async function keyProblems(q: Queryable): Promise<string[]> {
  const problems: string[] = [];
  for (const table of LEGACY_TABLES) {
    const key = await primaryKey(q, table);
    if (key && !sameColumns(key.columns, ['id'])) {
      problems.push(`${table}'s primary key ${key.name} is (${key.columns.join(', ')}), expected (id)`);
    } else if (!key) {
      const duplicates = await count(q, `SELECT count(*) AS n FROM (SELECT id FROM ${table} GROUP BY id HAVING count(*) > 1) d`);
      if (duplicates) problems.push(`${table} has no primary key and ${duplicates} duplicated id value(s)`);
    }
  }
  for (const { table, column } of LEGACY_UNIQUE) {
    const unique =
      (await uniqueConstraints(q, table, [column])).length > 0 ||
      (await indexesOn(q, table, [column])).some((index) => index.unique && index.valid);
    if (unique) continue;
    const duplicates = await count(
      q,
      `SELECT count(*) AS n FROM (SELECT ${column} FROM ${table} WHERE ${column} IS NOT NULL GROUP BY ${column} HAVING count(*) > 1) d`,
    );
    if (duplicates) problems.push(`${table}.${column} is not unique (${duplicates} duplicated value(s))`);
  }
  for (const { table, column, referencedTable } of LEGACY_REFERENCES) {
    if ((await foreignKeysOn(q, table, [column], referencedTable, ['id'])).some((key) => key.validated)) continue;
    const orphans = await count(
      q,
      `SELECT count(*) AS n FROM ${table} x WHERE NOT EXISTS (SELECT 1 FROM ${referencedTable} r WHERE r.id = x.${column})`,
    );
    if (orphans) problems.push(`${orphans} row(s) of ${table} reference a missing ${referencedTable} row (${column})`);
  }
  for (const table of LEGACY_TABLES) {
    for (const key of await referencingForeignKeys(q, table)) {
      if (LEGACY_TABLES.includes(key.table)) continue;
      problems.push(`table ${key.table} references ${table} (${key.name}), whose key the conversion replaces`);
    }
  }
  return problems;
}

async function nameProblems(q: Queryable): Promise<string[]> {
  const names = [...CONVERSION_RELATIONS, ...CONVERSION_BUILD_NAMES];
  const rows: { name: string }[] = await q.query(
    `SELECT relname::text AS name FROM pg_catalog.pg_class
      WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1) ORDER BY 1`,
    [names],
  );
  return rows.length ? [`it already has ${rows.map((row) => row.name).join(', ')}, which the conversion creates`] : [];
}

/** Rows and bytes of each of the four single-tenant tables that exists (on a converted database too). */
export async function tableSizes(q: Queryable): Promise<LegacyTableSize[]> {
  const sizes: LegacyTableSize[] = [];
  for (const table of LEGACY_TABLES) {
    const [row] = await q.query(
      `SELECT c.reltuples::float8 AS estimate, pg_catalog.pg_total_relation_size(c.oid)::float8 AS bytes
         FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)`,
      [`public.${table}`],
    );
    if (!row) continue;
    // reltuples is -1 until the table is first vacuumed or analysed.
    const rows = row.estimate >= 0 ? Math.round(row.estimate) : await count(q, `SELECT count(*) AS n FROM ${table}`);
    sizes.push({ table, rows, bytes: Number(row.bytes) });
  }
  return sizes;
}

/** Reads the catalog (and, where a key is missing, the rows it would guard); changes nothing. */
export async function inspectDatabase(q: Queryable): Promise<DatabaseInspection> {
  const recorded = await migrationsTable(q);
  if (recorded && 'problem' in recorded) return { state: 'refused', problems: [recorded.problem] };
  if (recorded && recorded.applied.length) {
    const known = new Set(migrations.map((migration) => migration.name));
    if (!recorded.applied.some((name) => known.has(name))) {
      return { state: 'refused', problems: [`its migrations table records none of FraudGuard's migrations (${recorded.applied.slice(0, 3).join(', ')}…)`] };
    }
    return { state: 'migrated', applied: recorded.applied };
  }
  // No migrations recorded (no table, or an empty one left by an interrupted adoption).
  const tables = (await publicTables(q)).filter((table) => table !== 'migrations');
  if (!tables.length) return { state: 'empty' };
  const legacy = tables.filter((table) => LEGACY_TABLES.includes(table));
  if (!legacy.length) return { state: 'refused', problems: [`it has table${tables.length > 1 ? 's' : ''} ${tables.join(', ')} and none of FraudGuard's`] };

  const problems = [...(await shapeProblems(q, legacy)), ...(await nameProblems(q))];
  if (!problems.length) problems.push(...(await keyProblems(q)));
  if (problems.length) return { state: 'refused', problems };
  return { state: 'legacy', tables: await tableSizes(q), otherTables: tables.filter((table) => !LEGACY_TABLES.includes(table)) };
}

async function databaseName(q: Queryable): Promise<string> {
  const [row] = await q.query(`SELECT current_database() AS name`);
  return row.name;
}

/**
 * Records migration 0 as applied, the way TypeORM records a migration (its own `migrations`
 * table and row), through a DataSource that knows only migration 0 and marks it run (`fake`).
 */
async function recordBaseline(owner: DataSource): Promise<void> {
  const baseline = new DataSource({ ...owner.options, migrations: [BASELINE_MIGRATION] } as DataSourceOptions);
  await baseline.initialize();
  try {
    await baseline.runMigrations({ fake: true, transaction: 'all' });
  } finally {
    await baseline.destroy();
  }
}

/** A plan for the converted tenant, asked of a database whose single-tenant data was converted already. */
export class AlreadyConvertedError extends Error {
  constructor(readonly plan: Plan) {
    super(
      `the single-tenant data of this database was converted already (migration 2 is applied), so there is no converted tenant to give the ${plan} plan: ` +
        `change ${DEFAULT_TENANT_ID}'s plan with PATCH /api/v1/admin/tenants/${DEFAULT_TENANT_ID}. Nothing was changed`,
    );
    this.name = 'AlreadyConvertedError';
  }
}

export interface MigrationRun {
  inspection: DatabaseInspection;
  /** Names of the migrations applied by this run, in order. */
  applied: string[];
  /** The converted tenant's plan, when this run converted the single-tenant data. */
  convertedTenantPlan?: Plan;
}

/**
 * What start-up and `cli migrate` do: adopt a single-tenant database if that is what this is
 * (record migration 0 as its baseline), then apply every pending migration, each in its own
 * transaction unless it declares otherwise. When this run converts the single-tenant data
 * (migration 2), the default tenant gets `tenantPlan`'s limits (ENTERPRISE's, as migration 2 sets
 * them, unless told otherwise) and no trial end. Throws, having changed nothing,
 * DatabaseRefusedError for a database that is neither empty, nor migrated, nor single-tenant
 * FraudGuard, and AlreadyConvertedError for a `tenantPlan` when there is nothing left to convert.
 */
export async function migrateDatabase(owner: DataSource, options: { tenantPlan?: Plan } = {}): Promise<MigrationRun> {
  const inspection = await inspectDatabase(owner);
  if (options.tenantPlan && inspection.state === 'migrated' && inspection.applied.includes(CONVERSION_MIGRATION)) {
    throw new AlreadyConvertedError(options.tenantPlan);
  }
  if (inspection.state === 'refused') throw new DatabaseRefusedError(await databaseName(owner), inspection.problems);
  if (inspection.state === 'legacy') await recordBaseline(owner);
  const applied = await runMigrationsRetryingLockConflicts(owner);
  if (!applied.includes(CONVERSION_MIGRATION)) return { inspection, applied };
  const plan = options.tenantPlan ?? 'ENTERPRISE';
  if (plan !== 'ENTERPRISE') await setConvertedTenantPlan(owner, plan);
  return { inspection, applied, convertedTenantPlan: plan };
}

/** How often a run that lost a lock conflict starts again. */
const RUN_ATTEMPTS = 5;

/**
 * Runs the pending migrations; answers the names of those this run applied. A transactional
 * migration that meets a deadlock or a lock timeout on a busy table rolls back whole, and the
 * step-by-step ones can be run again, so the run simply starts again from the first pending one.
 */
async function runMigrationsRetryingLockConflicts(owner: DataSource): Promise<string[]> {
  const before = new Set(await recordedMigrations(owner));
  for (let attempt = 1; ; attempt++) {
    try {
      await owner.runMigrations({ transaction: 'each' });
      break;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if ((code !== '40P01' && code !== '55P03') || attempt >= RUN_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
  return (await recordedMigrations(owner)).filter((name) => !before.has(name));
}

/** Names recorded in the migrations table; none while it does not exist (asked first: a failing query would be logged). */
async function recordedMigrations(owner: DataSource): Promise<string[]> {
  const [{ exists }] = await owner.query(`SELECT pg_catalog.to_regclass('public.migrations') IS NOT NULL AS exists`);
  if (!exists) return [];
  const rows: { name: string }[] = await owner.query(`SELECT name FROM migrations ORDER BY id`);
  return rows.map((row) => row.name);
}

/** The converted (default) tenant's plan and that plan's limits, with no trial end. */
export async function setConvertedTenantPlan(owner: Queryable, plan: Plan): Promise<void> {
  const limits = PLANS[plan];
  await owner.query(
    `UPDATE tenants SET plan = $2, status = 'ACTIVE', trial_ends_at = NULL,
            max_users = $3, max_transactions_per_month = $4, max_storage_gb = $5
      WHERE tenant_id = $1`,
    [DEFAULT_TENANT_ID, plan, limits.max_users, limits.max_transactions_per_month, limits.max_storage_gb],
  );
}
