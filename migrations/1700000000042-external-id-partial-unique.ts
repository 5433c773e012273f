import type { MigrationInterface, QueryRunner } from 'typeorm';
import { constraintNamed } from './catalog.js';
import { buildIndexConcurrently, inShortTransaction } from './short-locks.js';

/**
 * external_id is optional, and most transactions have none; the unique (tenant_id, external_id)
 * constraint still put an entry for every NULL in its index — one more index insertion per ingested
 * row for nothing. A partial unique index (WHERE external_id IS NOT NULL) enforces the same rule
 * (NULLs never conflicted) under the same name, so a duplicate still reports
 * transactions_tenant_external_id_key. Queries that look external_ids up say
 * `external_id IS NOT NULL` so the planner can use it.
 *
 * Built CONCURRENTLY (outside a transaction) so a live table keeps taking writes; a failed build's
 * INVALID leftover is dropped first, and a run interrupted after the swap finds it done.
 */
export class ExternalIdPartialUnique1700000000042 implements MigrationInterface {
  name = 'ExternalIdPartialUnique1700000000042';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    if (!(await constraintNamed(q, 'transactions', 'transactions_tenant_external_id_key'))) return; // swapped already
    await buildIndexConcurrently(
      q,
      'transactions_tenant_external_id_partial',
      'transactions',
      '(tenant_id, external_id) WHERE external_id IS NOT NULL',
      true,
    );
    await inShortTransaction(
      q,
      `ALTER TABLE transactions DROP CONSTRAINT transactions_tenant_external_id_key;
       ALTER INDEX transactions_tenant_external_id_partial RENAME TO transactions_tenant_external_id_key`,
    );
  }

  /** TypeORM reverts inside a transaction whatever `transaction` says, so no CONCURRENTLY here. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX transactions_tenant_external_id_key;
      ALTER TABLE transactions ADD CONSTRAINT transactions_tenant_external_id_key UNIQUE (tenant_id, external_id);
    `);
  }
}
