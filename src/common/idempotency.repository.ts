import { Injectable } from '@nestjs/common';
import type { TenantTransaction } from '../database/tenant-transaction.js';

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
 * idempotency_keys, used by the IdempotencyInterceptor inside the request's own transaction (so it
 * takes the transaction, not a request-scoped connection: the interceptor is a singleton).
 */
@Injectable()
export class IdempotencyRepository {
  /**
   * A transaction-scoped advisory lock on (tenant, key) — taken without waiting, so a concurrent
   * request with the same key answers 409 at once instead of blocking — and the stored response.
   * The lock is released by the COMMIT that makes the stored response visible.
   */
  async claim(tx: TenantTransaction, tenantId: string, key: string): Promise<IdempotencyClaim> {
    const [lock] = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2)) AS locked`, [tenantId, key]);
    if (!lock.locked) return { locked: false };
    const rows = await tx.query<StoredResponse>(
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
  async save(tx: TenantTransaction, tenantId: string, key: string, requestHash: string, statusCode: number, response: unknown, ttlHours: number): Promise<boolean> {
    const rows = await tx.query(
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

  /** Drops some of the tenant's expired keys; bounded so it never becomes the request's cost. */
  async purgeExpired(tx: TenantTransaction, tenantId: string): Promise<void> {
    await tx.execute(
      `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND (tenant_id, idempotency_key) IN (
         SELECT tenant_id, idempotency_key FROM idempotency_keys WHERE tenant_id = $1 AND expires_at <= now() LIMIT 100)`,
      [tenantId],
    );
  }
}
