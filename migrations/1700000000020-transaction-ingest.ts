import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedRoles, readDeploymentRoles } from '../src/database/roles.js';
import { CURRENT_QUOTA_MONTH } from '../src/transactions/quota-month.js';
import { constraintNamed, tableExists } from './catalog.js';
import { protectTenantTable, unprotectTenantTable } from './row-level-security.js';
import { buildIndexConcurrently, inShortTransaction } from './short-locks.js';

/**
 * Migration 20, transaction ingest:
 * - idempotency_keys: the stored response of a create request per (tenant, Idempotency-Key),
 *   written in the request's own transaction, kept at least IDEMPOTENCY_TTL_HOURS.
 * - tenant_monthly_usage: one counter row per tenant and UTC month, bumped by a conditional upsert
 *   in the ingest transaction, so the plan quota is exact under concurrency and /tenants/usage reads
 *   one row instead of counting transactions. Backfilled from the existing transactions.
 * - the resolution values of fraud_alerts (NOT VALID: legacy rows keep what they had).
 * - the keyset index of the accounts list and of the alerts list filtered by `handled`.
 */
export class TransactionIngest1700000000020 implements MigrationInterface {
  name = 'TransactionIngest1700000000020';
  // The indexes on accounts and fraud_alerts are built CONCURRENTLY, outside a transaction; each
  // step below checks what an interrupted run already did (short-locks.ts).
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    // The new tables and the usage backfill commit together: the backfill only reads transactions.
    if (!(await tableExists(q, 'tenant_monthly_usage'))) {
      await inShortTransaction(q, async (q) => {
        await q.query(`
          CREATE TABLE idempotency_keys (
            tenant_id        varchar(64) NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
            idempotency_key  varchar(255) NOT NULL,
            request_hash     char(64) NOT NULL,
            status_code      smallint NOT NULL,
            response         jsonb NOT NULL,
            created_at       timestamptz NOT NULL DEFAULT now(),
            expires_at       timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, idempotency_key)
          );
          CREATE INDEX idx_idempotency_keys_tenant_expires ON idempotency_keys (tenant_id, expires_at);

          CREATE TABLE tenant_monthly_usage (
            tenant_id     varchar(64) NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
            month         date NOT NULL,
            transactions  bigint NOT NULL DEFAULT 0,
            updated_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, month),
            CONSTRAINT tenant_monthly_usage_month_check CHECK (month = date_trunc('month', month)::date),
            CONSTRAINT tenant_monthly_usage_transactions_check CHECK (transactions >= 0)
          );
          INSERT INTO tenant_monthly_usage (tenant_id, month, transactions)
          SELECT tenant_id, (date_trunc('month', created_at AT TIME ZONE 'UTC'))::date, count(*)
            FROM transactions GROUP BY 1, 2;
        `);
        await q.query(protectTenantTable('idempotency_keys', 'SELECT, INSERT, UPDATE, DELETE', roles));
        await q.query(protectTenantTable('tenant_monthly_usage', 'SELECT, INSERT, UPDATE', roles));
      });
    }

    if (!(await constraintNamed(q, 'fraud_alerts', 'fraud_alerts_resolution_check'))) {
      await inShortTransaction(
        q,
        `ALTER TABLE fraud_alerts ADD CONSTRAINT fraud_alerts_resolution_check
           CHECK (resolution IN ('FRAUD', 'LEGITIMATE', 'DUPLICATE', 'FALSE_POSITIVE', 'INCONCLUSIVE')) NOT VALID`,
      );
    }

    await buildIndexConcurrently(q, 'idx_accounts_tenant_created', 'accounts', '(tenant_id, created_at DESC, id DESC)');
    await buildIndexConcurrently(q, 'idx_alerts_tenant_handled_created', 'fraud_alerts', '(tenant_id, handled, created_at DESC, id DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    await q.query(unprotectTenantTable('tenant_monthly_usage', roles));
    await q.query(unprotectTenantTable('idempotency_keys', roles));
    await q.query(`
      DROP INDEX idx_alerts_tenant_handled_created, idx_accounts_tenant_created;
      ALTER TABLE fraud_alerts DROP CONSTRAINT fraud_alerts_resolution_check;
      DROP TABLE tenant_monthly_usage, idempotency_keys;
    `);
  }
}
