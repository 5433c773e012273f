import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import { setTenantSql, stateOf, TenantTransactionAdapter, TransactionState } from './tenant-transaction.adapter.js';

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

/**
 * A hot path's hand-written statement on the transaction's own connection, as a named prepared
 * statement: PostgreSQL parses and plans it once per connection. With DB_PREPARED_STATEMENTS=false
 * (a PgBouncer older than 1.21) it is sent unnamed. The connection is the QueryRunner's own
 * (`connect()` hands back the one it holds), so the statement runs inside the same transaction.
 */
export async function preparedQuery<T>(manager: EntityManager, text: string, values: unknown[]): Promise<T[]> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('preparedQuery needs a transaction-bound EntityManager');
  const connection = (await runner.connect()) as pg.PoolClient;
  const config = stateOf(manager).preparedStatements ? { name: statementName(text), text, values } : { text, values };
  return (await connection.query(config as pg.QueryConfig)).rows as T[];
}

/**
 * The transaction the current code runs in (the request's, opened by the TenantContextInterceptor,
 * or one opened with TransactionHost.withTransaction): its EntityManager, its tenant, and the
 * hooks around its end. A singleton: each call reads the transaction of the current async context.
 */
@Injectable()
export class CurrentTransaction {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  /** Whether the current async context is inside a transaction. */
  get active(): boolean {
    return this.txHost.isTransactionActive();
  }

  get manager(): EntityManager {
    return this.txHost.tx;
  }

  private get state(): TransactionState {
    return stateOf(this.txHost.tx);
  }

  /** The tenant the transaction runs under, if one is set. */
  get tenantId(): string | null {
    return this.state.tenantId;
  }

  /** For flows that learn their tenant inside the transaction (login, refresh, signup). */
  async setTenant(tenantId: string): Promise<void> {
    const manager = this.txHost.tx;
    const connection = (await manager.queryRunner!.connect()) as pg.PoolClient;
    await manager.query(setTenantSql(connection, tenantId));
    stateOf(manager).tenantId = tenantId;
  }

  /**
   * Work that must happen only once the transaction's writes are durable (e-mails, notifications).
   * Runs after COMMIT; its failure is logged and never undoes the committed work.
   */
  afterCommit(task: () => Promise<void> | void): void {
    this.state.afterCommitTasks.push(task);
  }

  /**
   * Work that must happen once the transaction is over, committed or rolled back, before the answer
   * leaves: detached audit rows of refusals (AuditWriter.recordDetached).
   */
  afterEnd(task: () => Promise<void>): void {
    this.state.afterEndTasks.push(task);
  }

  /**
   * The work will end with an error, yet what it wrote so far must stay: a failed login's counter,
   * a reused refresh token's revoked family. The transaction then COMMITs instead of rolling back.
   * Call it just before throwing, after the writes that must survive, and only then.
   */
  commitDespiteError(): void {
    this.state.keepWritesOnError = true;
  }

  /**
   * Slows down the error answer (brute-force throttling) without holding a connection: the wait
   * happens after the connection is back in the pool.
   */
  delayErrorAnswer(ms: number): void {
    const state = this.state;
    state.answerDelayMs = Math.max(state.answerDelayMs, ms);
  }
}
