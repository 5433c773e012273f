import type { MigrationInterface, QueryRunner } from 'typeorm';
import { column } from './catalog.js';
import { inShortTransaction } from './short-locks.js';

/**
 * transactions.account_ref: the account's external_ref, written by the ingest with the row, so the
 * keyset list shows the account as the integrator knows it without a join per row (an account's
 * external_ref never changes: no route or command updates it, so the copy stays true).
 *
 * Rows written before, or by a writer that does not know the column, keep NULL: the transaction
 * view reads their account's external_ref instead (TRANSACTION_COLUMNS). No existing row is
 * rewritten, so this is a catalog-only change on a table that may be big and busy, made with a
 * short lock_timeout (short-locks.ts).
 */
export class TransactionAccountRef1700000000101 implements MigrationInterface {
  name = 'TransactionAccountRef1700000000101';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await inShortTransaction(q, async (q) => {
      if (!(await column(q, 'transactions', 'account_ref'))) await q.query(`ALTER TABLE transactions ADD COLUMN account_ref varchar(128)`);
    });
  }

  async down(q: QueryRunner): Promise<void> {
    await inShortTransaction(q, `ALTER TABLE transactions DROP COLUMN IF EXISTS account_ref`);
  }
}
