import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import { preparedQuery } from './current-transaction.js';
import { setTenantSql, stateOf } from './tenant-transaction.adapter.js';

export { assertTenantId } from './tenant-transaction.adapter.js';

export interface QueryOptions {
  prepare?: boolean;
}

/**
 * Transitional: the request transaction's old interface, over the EntityManager of the transaction
 * TenantTransactionAdapter opened, for the features that still use TenantConnection.
 */
export class TenantTransaction {
  constructor(private readonly manager: EntityManager) {}

  get tenantId(): string | null {
    return stateOf(this.manager).tenantId;
  }

  async setTenant(tenantId: string): Promise<void> {
    const connection = (await this.manager.queryRunner!.connect()) as pg.PoolClient;
    await this.manager.query(setTenantSql(connection, tenantId));
    stateOf(this.manager).tenantId = tenantId;
  }

  async query<T = Record<string, any>>(text: string, values?: unknown[], options?: QueryOptions): Promise<T[]> {
    if (options?.prepare) return preparedQuery<T>(this.manager, text, values ?? []);
    const connection = (await this.manager.queryRunner!.connect()) as pg.PoolClient;
    return (await connection.query(text, values as any[])).rows as T[];
  }

  async execute(text: string, values?: unknown[]): Promise<number> {
    const connection = (await this.manager.queryRunner!.connect()) as pg.PoolClient;
    return (await connection.query(text, values as any[])).rowCount ?? 0;
  }

  afterCommit(task: () => Promise<void> | void): void {
    stateOf(this.manager).afterCommitTasks.push(task);
  }

  afterEnd(task: () => Promise<void>): void {
    stateOf(this.manager).afterEndTasks.push(task);
  }

  commitDespiteError(): void {
    stateOf(this.manager).keepWritesOnError = true;
  }

  delayErrorAnswer(ms: number): void {
    const state = stateOf(this.manager);
    state.answerDelayMs = Math.max(state.answerDelayMs, ms);
  }
}
