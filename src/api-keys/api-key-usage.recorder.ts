import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_DATA_SOURCE } from '../database/database.tokens.js';
import { TenantTransaction } from '../database/tenant-transaction.js';

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

  constructor(@Inject(APP_DATA_SOURCE) private readonly dataSource: DataSource) {}

  record(tenantId: string, keyId: number): void {
    const now = Date.now();
    if ((this.lastWrite.get(keyId) ?? 0) > now - MINUTE) return;
    if (this.lastWrite.size > 100_000) this.lastWrite.clear();
    this.lastWrite.set(keyId, now);
    this.write(tenantId, keyId).catch((error) => this.logger.warn(`last_used_at not written: ${(error as Error).message}`));
  }

  private async write(tenantId: string, keyId: number): Promise<void> {
    const tx = await TenantTransaction.begin(this.dataSource, tenantId, false);
    try {
      await tx.execute(
        `UPDATE tenant_api_keys SET last_used_at = now()
          WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [tenantId, keyId],
      );
      await tx.commit();
    } catch (error) {
      await tx.rollback();
      throw error;
    } finally {
      await tx.release();
    }
  }
}
