import { Injectable } from '@nestjs/common';
import { CURRENT_QUOTA_MONTH } from '../../migrations/1700000000020-transaction-ingest.js';
import { TenantConnection } from '../database/tenant-connection.js';

export interface QuotaState {
  ml_config: unknown;
  max_transactions_per_month: number | null;
  used: number;
}

/**
 * The plan's monthly transaction quota, kept in tenant_monthly_usage (one row per tenant and UTC
 * month). The counter moves in the ingest transaction, so it is exactly the number of committed
 * transactions ingested this month: /tenants/usage reads it with `transactionsThisMonth()`.
 */
@Injectable()
export class TransactionQuotaRepository {
  constructor(private readonly db: TenantConnection) {}

  /** Tenant settings ingest needs, with this month's usage: one round trip, no lock. */
  async state(): Promise<QuotaState | undefined> {
    const rows = await this.db.query<QuotaState>(
      `SELECT t.ml_config, t.max_transactions_per_month,
              coalesce((SELECT u.transactions FROM tenant_monthly_usage u
                         WHERE u.tenant_id = $1 AND u.month = ${CURRENT_QUOTA_MONTH}), 0)::float8 AS used
         FROM tenants t WHERE t.tenant_id = $1`,
      [this.db.tenantId],
    );
    return rows[0];
  }

  /**
   * Counts `count` transactions against this month's quota if they fit, atomically: the upsert locks
   * the tenant's counter row and its WHERE sees the latest committed value, so concurrent ingests
   * can never together pass the limit. Returns false (nothing counted) when they do not fit. The
   * row lock is held until commit, so callers do this as the last write of the transaction.
   */
  async reserve(count: number): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO tenant_monthly_usage AS u (tenant_id, month, transactions)
       SELECT t.tenant_id, ${CURRENT_QUOTA_MONTH}, $2::int
         FROM tenants t
        WHERE t.tenant_id = $1 AND (t.max_transactions_per_month IS NULL OR $2::int <= t.max_transactions_per_month)
       ON CONFLICT (tenant_id, month) DO UPDATE
          SET transactions = u.transactions + EXCLUDED.transactions, updated_at = now()
        WHERE u.transactions + EXCLUDED.transactions <=
              coalesce((SELECT t.max_transactions_per_month FROM tenants t WHERE t.tenant_id = $1), 9223372036854775807)
       RETURNING u.transactions`,
      [this.db.tenantId, count],
    );
    return rows.length === 1;
  }

  /** Transactions ingested this UTC month (what the quota counts): for /tenants/usage. */
  async transactionsThisMonth(): Promise<number> {
    const rows = await this.db.query<{ transactions: number }>(
      `SELECT transactions::float8 AS transactions FROM tenant_monthly_usage WHERE tenant_id = $1 AND month = ${CURRENT_QUOTA_MONTH}`,
      [this.db.tenantId],
    );
    return rows[0]?.transactions ?? 0;
  }
}
