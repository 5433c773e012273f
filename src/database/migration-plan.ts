import type { DataSource, MigrationInterface } from 'typeorm';
import { LOCK_TIMEOUT_MS } from '../../migrations/short-locks.js';
import { DEFAULT_TENANT_ID } from '../tenants/default-tenant.js';
import type { Plan } from '../tenants/plans.js';
import { AlreadyConvertedError, CONVERSION_MIGRATION, DatabaseRefusedError, inspectDatabase, type LegacyTableSize, tableSizes } from './legacy-adoption.js';

/**
 * `cli migrate --dry-run`: what a migration run would do to this database, read from the catalog
 * alone (nothing is written, nothing is locked beyond a catalog read), with an estimate of how long
 * each pending migration takes and how long it can make readers and writers wait.
 *
 * The estimate scales what `npm run bench:conversion` measured (docs/upgrading.md) by this
 * database's table sizes. A migration that runs step by step (`transaction = false`, short-locks.ts)
 * takes its exclusive locks only for catalog changes, each waiting at most LOCK_TIMEOUT_MS before it
 * lets the queue behind it go and tries again: a reader or writer waits at most that long, however
 * big the table. A migration in one transaction holds its locks until it commits: up to its whole
 * duration.
 */

/** The database `npm run bench:conversion` converts: 1,000,000 transactions, the four tables 375 MB. */
const BENCH = { transactions: 1_000_000, bytes: 375 * 1024 * 1024 };

/**
 * Each migration's duration in that bench and what it grows with: the bytes of the four tables
 * (index builds, validations), the transactions (the scoring profiles), or nothing (catalog work).
 */
const MEASURED_MS: Record<string, { ms: number; grows: 'bytes' | 'transactions' | 'nothing' }> = {
  TenantTables1700000000001: { ms: 479, grows: 'nothing' },
  TenantIdEverywhere1700000000002: { ms: 22_225, grows: 'bytes' },
  RowLevelSecurity1700000000003: { ms: 70, grows: 'nothing' },
  AuthNotifications1700000000004: { ms: 17, grows: 'nothing' },
  AccountsAndLogin1700000000010: { ms: 76, grows: 'nothing' },
  PrincipalPlan1700000000011: { ms: 12, grows: 'nothing' },
  TransactionIngest1700000000020: { ms: 3_291, grows: 'bytes' },
  AuditHashChain1700000000030: { ms: 33, grows: 'nothing' },
  PlatformRole1700000000031: { ms: 23, grows: 'nothing' },
  AccountProfiles1700000000041: { ms: 23_633, grows: 'transactions' },
  ExternalIdPartialUnique1700000000042: { ms: 1_541, grows: 'bytes' },
  TransactionsReachTenantThroughAccount1700000000043: { ms: 1_680, grows: 'bytes' },
  AuditChainInlineHash1700000000044: { ms: 13, grows: 'nothing' },
  AccountProfilesFillfactor1700000000045: { ms: 4, grows: 'nothing' },
  ColumnDefaultsTypeormReadsBack1700000000046: { ms: 19, grows: 'nothing' },
};
/** A migration the bench table has no line for yet: catalog work, estimated at this. */
const CATALOG_ONLY = { ms: 100, grows: 'nothing' as const };

export interface PlannedMigration {
  name: string;
  /** Runs step by step (each step its own short transaction), not in one transaction. */
  step_by_step: boolean;
  estimated_seconds: number;
  /** The longest a reader or writer of the tables it changes may wait for it. */
  longest_wait_seconds: number;
  /** Where the figures come from: the bench table, or an estimate (docs/upgrading.md). */
  source: 'bench' | 'estimate';
}

export interface MigrationPlan {
  dry_run: true;
  database: 'empty' | 'migrated' | 'legacy';
  /** What adoption does, for a single-tenant database; null otherwise. */
  adoption: string | null;
  tables: LegacyTableSize[];
  pending: PlannedMigration[];
  /** The tenant that receives the single-tenant data, when migration 2 is pending. */
  converted_tenant: { tenant_id: string; plan: Plan } | null;
  estimated_seconds: number;
  longest_wait_seconds: number;
  basis: string;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function estimate(migration: MigrationInterface, tables: LegacyTableSize[]): PlannedMigration {
  const name = migration.name ?? migration.constructor.name;
  const measured = MEASURED_MS[name] ?? CATALOG_ONLY;
  const bytes = tables.reduce((sum, table) => sum + table.bytes, 0);
  const transactions = tables.find((table) => table.table === 'transactions')?.rows ?? 0;
  const factor = measured.grows === 'bytes' ? bytes / BENCH.bytes : measured.grows === 'transactions' ? transactions / BENCH.transactions : 1;
  const ms = measured.grows === 'nothing' ? measured.ms : Math.max(measured.ms * factor, 10);
  const stepByStep = migration.transaction === false;
  return {
    name,
    step_by_step: stepByStep,
    estimated_seconds: seconds(ms),
    longest_wait_seconds: seconds(stepByStep ? Math.min(LOCK_TIMEOUT_MS, ms) : ms),
    source: MEASURED_MS[name] ? 'bench' : 'estimate',
  };
}

/**
 * The plan of a migration run on `owner`'s database; changes nothing. Throws what the run would
 * throw before changing anything: DatabaseRefusedError, AlreadyConvertedError.
 */
export async function planMigrations(owner: DataSource, options: { tenantPlan?: Plan } = {}): Promise<MigrationPlan> {
  const inspection = await inspectDatabase(owner);
  const conversion = CONVERSION_MIGRATION;
  if (inspection.state === 'refused') {
    const [{ name }] = await owner.query(`SELECT current_database() AS name`);
    throw new DatabaseRefusedError(name, inspection.problems);
  }
  if (options.tenantPlan && inspection.state === 'migrated' && inspection.applied.includes(conversion)) {
    throw new AlreadyConvertedError(options.tenantPlan);
  }
  const applied = inspection.state === 'migrated' ? inspection.applied : inspection.state === 'legacy' ? [owner.migrations[0].name] : [];
  const tables = inspection.state === 'legacy' ? inspection.tables : await tableSizes(owner);
  const pending = owner.migrations.filter((migration) => !applied.includes(migration.name!)).map((migration) => estimate(migration, tables));
  return {
    dry_run: true,
    database: inspection.state,
    adoption:
      inspection.state === 'legacy'
        ? `the four single-tenant tables match migration 0's schema: migration 0 is recorded as applied (its baseline)` +
          (inspection.otherTables.length ? `; tables of your own are left as they are (${inspection.otherTables.join(', ')})` : '')
        : null,
    tables,
    pending,
    converted_tenant: pending.some((migration) => migration.name === conversion) ? { tenant_id: DEFAULT_TENANT_ID, plan: options.tenantPlan ?? 'ENTERPRISE' } : null,
    estimated_seconds: seconds(pending.reduce((sum, migration) => sum + migration.estimated_seconds * 1000, 0)),
    longest_wait_seconds: Math.max(0, ...pending.map((migration) => migration.longest_wait_seconds)),
    basis:
      'npm run bench:conversion (docs/upgrading.md: 1,000,000 transactions, 375 MB, 2 cores) scaled by these table sizes; ' +
      `step-by-step migrations wait at most ${LOCK_TIMEOUT_MS} ms per lock attempt, a transactional one holds its locks until it commits`,
  };
}
