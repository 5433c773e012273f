import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';

export interface StoredResponse {
  request_hash: string;
  status_code: number;
  response: unknown;
}

export interface IdempotencyClaim {
  /** false: another request with the same key is running right now. */
  locked: boolean;
  /** The unexpired stored response of an earlier request with this key, if any. */
  stored?: StoredResponse;
}

/**
 * idempotency_keys, used by the IdempotencyInterceptor inside the request's own transaction.
 * Hand-written SQL: the claim is an advisory lock, and the save an upsert that replaces only an
 * expired row, which TypeORM's save() cannot say.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  private get manager(): EntityManager {
    return this.txHost.tx;
  }

  /**
   * A transaction-scoped advisory lock on (tenant, key) — taken without waiting, so a concurrent
   * request with the same key answers 409 at once instead of blocking — and the stored response.
   * The lock is released by the COMMIT that makes the stored response visible.
   */
  async claim(tenantId: string, key: string): Promise<IdempotencyClaim> {
    const [lock]: { locked: boolean }[] = await this.manager.query(`SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2)) AS locked`, [tenantId, key]);
    if (!lock.locked) return { locked: false };
    const rows: StoredResponse[] = await this.manager.query(
      `SELECT request_hash, status_code, response FROM idempotency_keys
        WHERE tenant_id = $1 AND idempotency_key = $2 AND expires_at > now()`,
      [tenantId, key],
    );
    return { locked: true, stored: rows[0] };
  }

  /**
   * Stores the response; an expired row with the same key is replaced. False when an unexpired row
   * exists after all (a request with the same key committed between our look-up and now).
   */
  async save(tenantId: string, key: string, requestHash: string, statusCode: number, response: unknown, ttlHours: number): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      `INSERT INTO idempotency_keys AS k (tenant_id, idempotency_key, request_hash, status_code, response, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6))
       ON CONFLICT (tenant_id, idempotency_key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, status_code = EXCLUDED.status_code, response = EXCLUDED.response,
              created_at = now(), expires_at = EXCLUDED.expires_at
        WHERE k.expires_at <= now()
       RETURNING 1`,
      [tenantId, key, requestHash, statusCode, JSON.stringify(response ?? null), ttlHours],
    );
    return rows.length === 1;
  }

  /**
   * Drops some of the tenant's expired keys; bounded so it never becomes the request's cost. Rows
   * another transaction holds (a concurrent purge, a reuse of the key) are skipped, not waited for:
   * otherwise two purging requests of one tenant would run one after the other, the second holding
   * its own locks (profiles, quota slot) while it waits.
   */
  async purgeExpired(tenantId: string): Promise<void> {
    await this.manager.query(
      `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND (tenant_id, idempotency_key) IN (
         SELECT tenant_id, idempotency_key FROM idempotency_keys WHERE tenant_id = $1 AND expires_at <= now()
          LIMIT 100 FOR UPDATE SKIP LOCKED)`,
      [tenantId],
    );
  }
}
