import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { TenantMonthlyUsage } from '../tenants/tenant-monthly-usage.entity.js';
import { CURRENT_QUOTA_MONTH } from './quota-month.js';

/**
 * The plan's monthly transaction quota, kept in tenant_monthly_usage (slot counters per tenant and
 * UTC month, summed). The counters move in the ingest's write statement (IngestRepository.write), so
 * their sum is exactly the number of committed transactions ingested this month.
 */
@Injectable()
export class TransactionQuotaRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  /** Transactions ingested this UTC month (what the quota counts); the month is the database's, as the reservation's. */
  async transactionsThisMonth(tenantId: string): Promise<number> {
    const usage = await this.txHost.tx
      .getRepository(TenantMonthlyUsage)
      .createQueryBuilder('u')
      .select('coalesce(sum(u.transactions), 0)', 'transactions')
      .where('u.tenantId = :tenantId', { tenantId })
      .andWhere(`u.month = ${CURRENT_QUOTA_MONTH}`)
      .getRawOne<{ transactions: string }>();
    return Number(usage?.transactions ?? 0);
  }
}
