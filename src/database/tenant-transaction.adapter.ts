import type { TransactionalAdapter } from '@nestjs-cls/transactional';
import { Logger } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config/database.config.js';

/** Tenant ids are checked before they reach SQL, even though they also go through literal escaping. */
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function assertTenantId(tenantId: string): string {
  if (!TENANT_ID.test(tenantId)) throw new Error('Malformed tenant id');
  return tenantId;
}

export interface TenantTransactionOptions {
  /** The tenant the transaction runs under (`app.current_tenant`, transaction-local); null until a public flow learns it. */
  tenantId: string | null;
  /** BEGIN READ ONLY (GET requests). */
  readOnly?: boolean;
}

type Task = () => Promise<void> | void;

/**
 * What one transaction carries beside its EntityManager: its tenant, and the work that must wait
 * for its end. Kept in the QueryRunner's `data` (TypeORM's slot for such state); reached through
 * CurrentTransaction.
 */
export class TransactionState {
  keepWritesOnError = false;
  answerDelayMs = 0;
  readonly afterCommitTasks: Task[] = [];
  readonly afterEndTasks: Task[] = [];

  constructor(
    public tenantId: string | null,
    /** Hot statements may be sent as named prepared statements (DB_PREPARED_STATEMENTS). */
    readonly preparedStatements: boolean,
  ) {}
}

const STATE = 'fraudguard';

export function stateOf(manager: EntityManager): TransactionState {
  const state = (manager.queryRunner?.data as Record<string, unknown> | undefined)?.[STATE];
  if (!(state instanceof TransactionState)) throw new Error('This EntityManager is not a tenant transaction');
  return state;
}

/** `SELECT set_config('app.current_tenant', …, true)` with the tenant as an escaped literal (simple protocol, no bind). */
export function setTenantSql(connection: pg.PoolClient, tenantId: string): string {
  return `SELECT set_config('app.current_tenant', ${connection.escapeLiteral(assertTenantId(tenantId))}, true)`;
}

/**
 * Opens the transaction in one round trip: BEGIN, the plan-cache setting for prepared statements
 * and the tenant, as one simple-protocol message. TypeORM is then told that its runner is inside a
 * transaction, as its own startTransaction() would have done, so commitTransaction() and
 * rollbackTransaction() end it and a save() on this manager does not open (and commit) one of its
 * own; startTransaction() itself would cost a round trip of its own before the tenant could be set
 * (docs/benchmark.md, "Request context").
 */
async function begin(runner: QueryRunner, connection: pg.PoolClient, preamble: string, tenantId: string | null): Promise<void> {
  await runner.query(tenantId === null ? preamble : `${preamble}; ${setTenantSql(connection, tenantId)}`);
  Object.assign(runner, { isTransactionActive: true, transactionDepth: 1 });
}

/**
 * One transaction on one pooled connection, with the tenant set transaction-locally, so it ends with
 * the transaction and can never leak into the next user of the connection (also through PgBouncer
 * in transaction mode). COMMIT on success — or when the work asked to keep its writes despite its
 * error — else ROLLBACK; the connection is released whatever happened, and closed instead of pooled
 * when even the ROLLBACK failed. Then, in order: the afterEnd tasks (awaited), the error answer's
 * delay (connection already back in the pool), and on success the afterCommit tasks (not awaited).
 */
export async function runInTransaction<T>(
  dataSource: DataSource,
  options: TenantTransactionOptions & { preamble: string; preparedStatements: boolean },
  work: (manager: EntityManager) => Promise<T>,
  logger: Logger,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const state = new TransactionState(options.tenantId, options.preparedStatements);
  runner.data = { [STATE]: state };
  let connection: pg.PoolClient;
  try {
    connection = (await runner.connect()) as pg.PoolClient;
    await begin(runner, connection, options.preamble, options.tenantId);
  } catch (error) {
    await runner.release();
    throw error;
  }

  let failure: { error: unknown } | undefined;
  let result: T | undefined;
  try {
    result = await work(runner.manager);
    await runner.commitTransaction();
  } catch (error) {
    failure = { error };
    try {
      if (state.keepWritesOnError) await runner.commitTransaction().catch(() => runner.rollbackTransaction());
      else await runner.rollbackTransaction();
    } catch {
      // The session's state is unknown: closing it makes the pool discard it instead of lending it out again.
      connection.end().catch(() => undefined);
    }
  } finally {
    await runner.release();
    for (const task of state.afterEndTasks.splice(0)) {
      try {
        await task();
      } catch (error) {
        logger.error(`after-end task failed: ${(error as Error).message}`);
      }
    }
  }
  if (failure) {
    if (state.answerDelayMs > 0) await sleep(state.answerDelayMs);
    throw failure.error;
  }
  for (const task of state.afterCommitTasks.splice(0)) {
    // Fire and forget: the answer does not wait for mail, and a failure never undoes the commit.
    Promise.resolve()
      .then(task)
      .catch((error) => logger.error(`after-commit task failed: ${(error as Error).message}`));
  }
  return result as T;
}

/**
 * @nestjs-cls/transactional adapter for the app role's DataSource: `TransactionHost.tx` is the
 * EntityManager of the current transaction's QueryRunner. Unlike the stock TypeORM adapter it sets
 * the tenant in the same round trip as BEGIN. Outside a transaction there is no fallback: tenant
 * data is never read on an autocommit connection.
 */
export class TenantTransactionAdapter implements TransactionalAdapter<DataSource, EntityManager, TenantTransactionOptions> {
  readonly connectionToken = getDataSourceToken();
  readonly extraProviderTokens = [databaseConfig.KEY];
  readonly defaultTxOptions: Partial<TenantTransactionOptions> = { tenantId: null, readOnly: false };
  private readonly logger = new Logger('TenantTransaction');

  optionsFactory = (dataSource: DataSource, extraProviders: unknown[]) => {
    const config = extraProviders[0] as ConfigType<typeof databaseConfig>;
    const prepared = config.dbPreparedStatements;
    // With prepared statements, their plans are generic: planned once per connection, not on every
    // execution (PostgreSQL would otherwise keep re-planning those whose custom plans look cheaper).
    const planCache = prepared ? '; SET LOCAL plan_cache_mode = force_generic_plan' : '';
    const preambles = { write: `BEGIN${planCache}`, read: `BEGIN READ ONLY${planCache}` };
    return {
      wrapWithTransaction: (options: TenantTransactionOptions, fn: () => Promise<unknown>, setTx: (tx?: EntityManager) => void) =>
        runInTransaction(
          dataSource,
          { ...options, preamble: options.readOnly ? preambles.read : preambles.write, preparedStatements: prepared },
          (manager) => {
            setTx(manager);
            return fn();
          },
          this.logger,
        ),
      getFallbackInstance: (): EntityManager => {
        throw new Error('No transaction is active: tenant data is only reached inside one (TenantContextInterceptor, or TransactionHost.withTransaction)');
      },
    };
  };
}
