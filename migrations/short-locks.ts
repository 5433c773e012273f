import type { QueryRunner } from 'typeorm';
import { column, constraintNamed, foreignKeys, indexNamed, sameColumns } from './catalog.js';

/**
 * Schema changes on tables that may be big and busy, done so that no reader or writer waits for
 * long (DESIGN.md, migrations). Every helper here is for a migration that declares
 * `transaction = false`: each step commits on its own, and each one first looks in the catalog for
 * what an interrupted earlier run already did, so the migration can simply be run again.
 *
 * - Catalog-only changes (ADD COLUMN with a constant default, NOT VALID constraints, attaching a
 *   built index as a key, renames) take an ACCESS EXCLUSIVE lock for an instant, in a transaction
 *   of their own with a short lock_timeout: a change that has to queue behind a long query gives
 *   up and tries again, instead of making every later query queue behind it.
 * - Scans (VALIDATE CONSTRAINT, CREATE INDEX CONCURRENTLY) run outside any transaction and take
 *   locks that let reads and writes go on.
 */

/** How long one attempt may wait for its lock before it lets the queue behind it go. */
export const LOCK_TIMEOUT_MS = 300;
/** Attempts before giving up (about a minute of retries, with growing pauses). */
const LOCK_ATTEMPTS = 40;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isLockConflict(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === '55P03' || code === '40P01'; // lock_not_available, deadlock_detected
}

/**
 * Runs `work` (SQL, or a function of the runner for steps that first look at the catalog) in one
 * transaction with a short lock_timeout, and retries the whole transaction when a lock was not
 * granted in time.
 */
export async function inShortTransaction(q: QueryRunner, work: string | ((q: QueryRunner) => Promise<void>)): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await q.startTransaction(); // when this fails there is no transaction to roll back
    try {
      await q.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT_MS}ms'`);
      if (typeof work === 'string') await q.query(work);
      else await work(q);
      await q.commitTransaction();
      return;
    } catch (error) {
      await q.rollbackTransaction().catch(() => undefined);
      if (!isLockConflict(error) || attempt >= LOCK_ATTEMPTS) {
        if (isLockConflict(error)) {
          (error as Error).message = `${(error as Error).message} (no lock within ${LOCK_TIMEOUT_MS} ms in ${attempt} attempts: a long transaction holds the table; run the migrations again once it is done)`;
        }
        throw error;
      }
      await sleep(Math.min(50 * attempt, 2_000));
    }
  }
}

/**
 * `CREATE [UNIQUE] INDEX CONCURRENTLY name ON table (definition)`: reads and writes go on while it
 * builds. An interrupted build leaves an INVALID index of that name behind; it is dropped and built
 * again. A valid index of that name is kept as it is.
 */
export async function buildIndexConcurrently(q: QueryRunner, name: string, table: string, definition: string, unique = false): Promise<void> {
  const existing = await indexNamed(q, name);
  if (existing?.valid) return;
  if (existing) await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  await q.query(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${name} ON ${table} ${definition}`);
}

/** DROP INDEX CONCURRENTLY: readers and writers of the table are not held up. */
export async function dropIndexConcurrently(q: QueryRunner, name: string): Promise<void> {
  await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
}

/**
 * `ALTER COLUMN … SET NOT NULL` without holding ACCESS EXCLUSIVE through a scan: a
 * `CHECK (column IS NOT NULL) NOT VALID` (instant), VALIDATE (a scan that lets reads and writes go
 * on), then SET NOT NULL, which PostgreSQL proves from the validated check without scanning, and
 * the check is dropped again.
 */
export async function setNotNull(q: QueryRunner, table: string, name: string): Promise<void> {
  if ((await column(q, table, name))?.notNull) return;
  const check = `${table}_${name}_not_null`;
  if (!(await constraintNamed(q, table, check))) {
    await inShortTransaction(q, `ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${name} IS NOT NULL) NOT VALID`);
  }
  await q.query(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${check}`);
  await inShortTransaction(q, `ALTER TABLE ${table} ALTER COLUMN ${name} SET NOT NULL; ALTER TABLE ${table} DROP CONSTRAINT ${check}`);
}

export interface ForeignKeySpec {
  table: string;
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete?: 'CASCADE';
}

export function foreignKeySql(key: ForeignKeySpec): string {
  return `ALTER TABLE ${key.table} ADD CONSTRAINT ${key.name} FOREIGN KEY (${key.columns.join(', ')})
    REFERENCES ${key.referencedTable} (${key.referencedColumns.join(', ')})${key.onDelete ? ` ON DELETE ${key.onDelete}` : ''} NOT VALID`;
}

/** Within a transaction: adds the key NOT VALID (new rows are checked from now on) unless it is there. */
export async function addForeignKeyNotValid(q: QueryRunner, key: ForeignKeySpec): Promise<void> {
  const present = (await foreignKeys(q, key.table, key.referencedTable)).some(
    (existing) => existing.name === key.name && sameColumns(existing.columns, key.columns) && sameColumns(existing.referencedColumns, key.referencedColumns),
  );
  if (!present) await q.query(foreignKeySql(key));
}

/** VALIDATE CONSTRAINT unless validated already: a scan under a lock that lets reads and writes go on. */
export async function validateConstraint(q: QueryRunner, table: string, name: string): Promise<void> {
  const constraint = await constraintNamed(q, table, name);
  if (constraint && !constraint.validated) await q.query(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${name}`);
}
