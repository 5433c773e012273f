import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { Raw } from 'typeorm';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { TenantMonthlyUsage } from '../tenants/tenant-monthly-usage.entity.js';
import { CURRENT_QUOTA_MONTH } from './quota-month.js';

/**
 * The plan's monthly transaction quota, kept in tenant_monthly_usage (one row per tenant and UTC
 * month). The counter moves in the ingest's write statement (IngestRepository.write), so it is
 * exactly the number of committed transactions ingested this month.
 */
@Injectable()
export class TransactionQuotaRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  /** Transactions ingested this UTC month (what the quota counts); the month is the database's, as the reservation's. */
  async transactionsThisMonth(tenantId: string): Promise<number> {
    const usage = await this.txHost.tx
      .getRepository(TenantMonthlyUsage)
      .findOneBy({ tenantId, month: Raw((month) => `${month} = ${CURRENT_QUOTA_MONTH}`) });
    return usage ? Number(usage.transactions) : 0;
  }
}
