import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { MoreThan, type Repository } from 'typeorm';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { ApiKey } from './api-key.entity.js';

export type NewApiKey = Pick<ApiKey, 'keyName' | 'keyHash' | 'keyPrefix' | 'scopes' | 'rateLimitPerMinute' | 'expiresAt' | 'createdBy'>;

/** tenant_api_keys of one tenant, in the current transaction: only hashes and display prefixes, never a key. */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  private get keys(): Repository<ApiKey> {
    return this.txHost.tx.getRepository(ApiKey);
  }

  async insert(tenantId: string, key: NewApiKey): Promise<ApiKey> {
    const values = { tenantId, ...key, lastUsedAt: null };
    const result = await this.keys.insert(values);
    return this.keys.create({ ...values, ...result.generatedMaps[0] });
  }

  /** Oldest first, keyset on id. */
  list(tenantId: string, limit: number, afterId: number | undefined): Promise<ApiKey[]> {
    return this.keys.find({
      where: afterId === undefined ? { tenantId } : { tenantId, id: MoreThan(afterId) },
      order: { id: 'ASC' },
      take: limit,
    });
  }

  findByIdForUpdate(tenantId: string, id: number): Promise<ApiKey | null> {
    return this.keys.findOne({ where: { tenantId, id }, lock: { mode: 'pessimistic_write' } });
  }

  async revoke(tenantId: string, id: number): Promise<void> {
    await this.keys.update({ tenantId, id, isActive: true }, { isActive: false });
  }

  /** The old key of a roll stops at min(its own expiry, now + grace); answers that end. */
  async endWithin(tenantId: string, id: number, graceSeconds: number): Promise<Date | null> {
    const result = await this.keys
      .createQueryBuilder()
      .update()
      .set({ expiresAt: () => `LEAST(COALESCE(expires_at, 'infinity'::timestamptz), now() + make_interval(secs => :graceSeconds))` })
      .where('tenant_id = :tenantId AND id = :id', { tenantId, id, graceSeconds })
      .returning('expires_at')
      .execute();
    return (result.raw as Array<{ expires_at: Date | null }>)[0].expires_at;
  }

  async tenantPlan(tenantId: string): Promise<string | undefined> {
    const tenant = await this.txHost.tx.getRepository(Tenant).findOne({ select: { plan: true }, where: { tenantId } });
    return tenant?.plan;
  }
}
