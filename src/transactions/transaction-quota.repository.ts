import { CURRENT_QUOTA_MONTH } from './quota-month.js';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';

/**
 * The plan's monthly transaction quota, kept in tenant_monthly_usage (one row per tenant and UTC
 * month). The counter moves in the ingest transaction, so it is exactly the number of committed
 * transactions ingested this month: /tenants/usage reads it with `transactionsThisMonth()`.
 */
@RequestBound()
export class TransactionQuotaRepository {
  constructor(private readonly db: TenantConnection) {}

  /** Transactions ingested this UTC month (what the quota counts): for /tenants/usage. */
  async transactionsThisMonth(): Promise<number> {
    const rows = await this.db.query<{ transactions: number }>(
      `SELECT transactions::float8 AS transactions FROM tenant_monthly_usage WHERE tenant_id = $1 AND month = ${CURRENT_QUOTA_MONTH}`,
      [this.db.tenantId],
    );
    return rows[0]?.transactions ?? 0;
  }
}
