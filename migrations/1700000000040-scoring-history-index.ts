import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scoring reads an account's most recent transactions on every ingest (the history window: amount,
 * currency, country, merchant, device, time). Through (tenant_id, account_id, txn_time DESC) alone
 * that is one random heap page per row — a hundred-odd page reads per ingest once the table outgrows
 * shared buffers. The same key with those columns INCLUDEd answers it from a few adjacent index pages
 * (an index-only scan). It replaces the narrower index, which every query using it can use as well.
 *
 * Built CONCURRENTLY (outside a transaction), so a live table keeps taking writes meanwhile. A build
 * that failed leaves an INVALID index behind; the first statement removes it so a re-run starts over.
 */
export class ScoringHistoryIndex1700000000040 implements MigrationInterface {
  name = 'ScoringHistoryIndex1700000000040';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS idx_transactions_tenant_account_history`);
    await q.query(
      `CREATE INDEX CONCURRENTLY idx_transactions_tenant_account_history
         ON transactions (tenant_id, account_id, txn_time DESC)
         INCLUDE (amount, currency, country, merchant, device_id)`,
    );
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS idx_transactions_tenant_account_time`);
  }

  /** TypeORM reverts inside a transaction whatever `transaction` says, so no CONCURRENTLY here. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS idx_transactions_tenant_account_time ON transactions (tenant_id, account_id, txn_time DESC)`);
    await q.query(`DROP INDEX IF EXISTS idx_transactions_tenant_account_history`);
  }
}
