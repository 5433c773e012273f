import { Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { Injectable, Logger } from '@nestjs/common';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { ApiKey } from './api-key.entity.js';

const MINUTE = 60_000;

/**
 * Keeps tenant_api_keys.last_used_at: at most one write per key per minute — skipped in process when
 * this instance wrote less than a minute ago, and the UPDATE's WHERE makes it so across instances.
 * In a short transaction of its own (tenant set like a request's, RLS on), not awaited: a GET stays
 * READ ONLY and never waits for it, and a failed request does not lose it.
 */
@Injectable()
export class ApiKeyUsageRecorder {
  private readonly logger = new Logger('ApiKeyUsage');
  private readonly lastWrite = new Map<number, number>();

  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  record(tenantId: string, keyId: number): void {
    const now = Date.now();
    if ((this.lastWrite.get(keyId) ?? 0) > now - MINUTE) return;
    if (this.lastWrite.size > 100_000) this.lastWrite.clear();
    this.lastWrite.set(keyId, now);
    this.write(tenantId, keyId).catch((error) => this.logger.warn(`last_used_at not written: ${(error as Error).message}`));
  }

  private write(tenantId: string, keyId: number): Promise<void> {
    return this.txHost.withTransaction(Propagation.RequiresNew, { tenantId }, async () => {
      await this.txHost.tx
        .createQueryBuilder()
        .update(ApiKey)
        .set({ lastUsedAt: () => 'now()' })
        .where('tenant_id = :tenantId AND id = :keyId', { tenantId, keyId })
        .andWhere(`(last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`)
        .execute();
    });
  }
}
