import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DataSource } from 'typeorm';

/** TypeORM's PostgresQueryRunner, which can hand its connection back as broken; its typings hide that. */
interface Runner {
  connect(): Promise<unknown>;
  release(): Promise<void>;
  releasePostgresConnection(error?: Error): Promise<void>;
}

/** Tenant ids are checked before they reach SQL, even though they also go through literal escaping. */
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A statement's name when prepared: derived from its text, so one text is prepared once per connection. */
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `fg_${createHash('sha256').update(text).digest('base64url').slice(0, 40)}`;
    // The texts are the code's own constants and their filter combinations: a bounded set.
    if (statementNames.size < 10_000) statementNames.set(text, name);
  }
  return name;
}

export interface QueryOptions {
  /**
   * Send it as a named prepared statement, so PostgreSQL parses and plans it once per connection
   * (for the hot paths' fixed texts). Ignored when prepared statements are switched off
   * (DB_PREPARED_STATEMENTS=false: a PgBouncer older than 1.21 cannot route them).
   */
  prepare?: boolean;
}

export function assertTenantId(tenantId: string): string {
  if (!TENANT_ID.test(tenantId)) throw new Error(`Malformed tenant id`);
  return tenantId;
}

/**
 * One request's database transaction on one pooled connection, with app.current_tenant set
 * transaction-locally (set_config(…, true)), so it ends with the transaction and can never leak into
 * the next request that gets this connection — also through PgBouncer in transaction mode.
 */
export class TenantTransaction {
  private done = false;
  private keepWritesOnError = false;
  private delayMs = 0;
  private readonly afterCommitTasks: Array<() => Promise<void> | void> = [];
  private readonly afterEndTasks: Array<() => Promise<void>> = [];
  private constructor(
    private readonly runner: Runner,
    private readonly client: pg.PoolClient,
    public tenantId: string | null,
    private readonly preparedStatements: boolean,
  ) {}

  /** BEGIN and the tenant setting travel in one round trip (simple protocol, escaped literal). */
  static async begin(dataSource: DataSource, tenantId: string | null, readOnly: boolean, preparedStatements = false): Promise<TenantTransaction> {
    const runner = dataSource.createQueryRunner() as unknown as Runner;
    let client: pg.PoolClient;
    try {
      client = (await runner.connect()) as pg.PoolClient;
    } catch (error) {
      await runner.release();
      throw error;
    }
    const tx = new TenantTransaction(runner, client, tenantId, preparedStatements);
    // With prepared statements, their plans are generic: planned once per connection, not on every
    // execution (PostgreSQL would otherwise keep re-planning those whose custom plans look cheaper).
    const begin = `${readOnly ? 'BEGIN READ ONLY' : 'BEGIN'}${preparedStatements ? `; SET LOCAL plan_cache_mode = force_generic_plan` : ''}`;
    try {
      await client.query(tenantId === null ? begin : `${begin}; ${tx.setTenantSql(tenantId)}`);
    } catch (error) {
      await runner.releasePostgresConnection(error as Error);
      throw error;
    }
    return tx;
  }

  private setTenantSql(tenantId: string): string {
    return `SELECT set_config('app.current_tenant', ${this.client.escapeLiteral(assertTenantId(tenantId))}, true)`;
  }

  /** For flows that learn their tenant inside the transaction (signup creates it). */
  async setTenant(tenantId: string): Promise<void> {
    await this.client.query(this.setTenantSql(tenantId));
    this.tenantId = tenantId;
  }

  async query<T = Record<string, any>>(text: string, values?: unknown[], options?: QueryOptions): Promise<T[]> {
    return (await this.send(text, values, options)).rows as T[];
  }

  async execute(text: string, values?: unknown[], options?: QueryOptions): Promise<number> {
    return (await this.send(text, values, options)).rowCount ?? 0;
  }

  private send(text: string, values: unknown[] | undefined, options: QueryOptions | undefined): Promise<pg.QueryResult> {
    if (options?.prepare && this.preparedStatements) return this.client.query({ name: statementName(text), text, values: values as any[] });
    return this.client.query(text, values as any[]);
  }

  /** The pg client itself, for streaming and COPY. */
  get connection(): pg.PoolClient {
    return this.client;
  }

  /**
   * Work that must happen only once the transaction's writes are durable (e-mails, notifications).
   * Runs after COMMIT; its failure is logged by the caller and never undoes the committed request.
   */
  afterCommit(task: () => Promise<void> | void): void {
    this.afterCommitTasks.push(task);
  }

  /**
   * The request will answer with an error, yet what it wrote so far must stay: a failed login's
   * counter, a reused refresh token's revoked family. The interceptor then COMMITs instead of
   * rolling back. Call it just before throwing, after the writes that must survive, and only then.
   */
  commitDespiteError(): void {
    this.keepWritesOnError = true;
  }

  get commitsDespiteError(): boolean {
    return this.keepWritesOnError;
  }

  /**
   * Slow down this request's error answer (brute-force throttling) without holding a connection:
   * the interceptor waits after releasing it, before the error goes out.
   */
  delayErrorAnswer(ms: number): void {
    this.delayMs = Math.max(this.delayMs, ms);
  }

  get answerDelayMs(): number {
    return this.delayMs;
  }

  /**
   * Work that must happen once this transaction is over, committed OR rolled back, before the
   * response leaves: detached audit rows of refusals (AuditWriter.recordDetached). They cannot run
   * while this transaction is open, since it may hold the tenant's audit-chain lock.
   */
  afterEnd(task: () => Promise<void>): void {
    this.afterEndTasks.push(task);
  }

  /** Runs the afterEnd tasks in order; a failure is reported to `onError` and does not stop the rest. */
  async runAfterEndTasks(onError: (error: Error) => void): Promise<void> {
    for (const task of this.afterEndTasks.splice(0)) {
      try {
        await task();
      } catch (error) {
        onError(error as Error);
      }
    }
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  /** The afterCommit tasks, handed over once; the interceptor runs them after the connection is released. */
  takeAfterCommitTasks(): Array<() => Promise<void> | void> {
    return this.afterCommitTasks.splice(0);
  }

  /** ROLLBACK; if even that fails the connection is in an unknown state and is destroyed, not pooled. */
  async rollback(): Promise<void> {
    try {
      await this.client.query('ROLLBACK');
    } catch (error) {
      await this.release(error as Error);
    }
  }

  async release(broken?: Error): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.runner.releasePostgresConnection(broken);
  }
}
