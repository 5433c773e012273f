import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';

export interface ApiKeyRow {
  id: number;
  tenant_id: string;
  key_name: string;
  key_prefix: string;
  scopes: string[];
  rate_limit_per_minute: number;
  is_active: boolean;
  expires_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
  created_by: number | null;
}

const KEY_COLUMNS = `id, tenant_id, key_name, key_prefix, scopes, rate_limit_per_minute, is_active, expires_at, last_used_at, created_at, created_by`;

export interface NewApiKey {
  key_name: string;
  key_hash: string;
  key_prefix: string;
  scopes: readonly string[];
  rate_limit_per_minute: number;
  expires_at: Date | null;
  created_by: number | null;
}

/** tenant_api_keys of the request's tenant: only hashes and display prefixes, never a key. */
@RequestBound()
export class ApiKeyRepository {
  constructor(private readonly db: TenantConnection) {}

  async insert(key: NewApiKey): Promise<ApiKeyRow> {
    const rows = await this.db.query<ApiKeyRow>(
      `INSERT INTO tenant_api_keys (tenant_id, key_name, key_hash, key_prefix, scopes, rate_limit_per_minute, expires_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${KEY_COLUMNS}`,
      [this.db.tenantId, key.key_name, key.key_hash, key.key_prefix, key.scopes, key.rate_limit_per_minute, key.expires_at, key.created_by],
    );
    return rows[0];
  }

  list(limit: number, afterId: number | undefined): Promise<ApiKeyRow[]> {
    return this.db.query<ApiKeyRow>(
      `SELECT ${KEY_COLUMNS} FROM tenant_api_keys WHERE tenant_id = $1 AND ($2::int IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [this.db.tenantId, afterId ?? null, limit],
    );
  }

  async findByIdForUpdate(id: number): Promise<ApiKeyRow | undefined> {
    const rows = await this.db.query<ApiKeyRow>(`SELECT ${KEY_COLUMNS} FROM tenant_api_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [
      this.db.tenantId,
      id,
    ]);
    return rows[0];
  }

  async revoke(id: number): Promise<void> {
    await this.db.execute(`UPDATE tenant_api_keys SET is_active = false WHERE tenant_id = $1 AND id = $2 AND is_active`, [this.db.tenantId, id]);
  }

  /** The old key of a roll stops at min(its own expiry, now + grace). */
  async endWithin(id: number, graceSeconds: number): Promise<ApiKeyRow> {
    const rows = await this.db.query<ApiKeyRow>(
      `UPDATE tenant_api_keys
          SET expires_at = LEAST(COALESCE(expires_at, 'infinity'::timestamptz), now() + make_interval(secs => $3))
        WHERE tenant_id = $1 AND id = $2
    RETURNING ${KEY_COLUMNS}`,
      [this.db.tenantId, id, graceSeconds],
    );
    return rows[0];
  }

  async tenantPlan(): Promise<string | undefined> {
    const rows = await this.db.query<{ plan: string }>(`SELECT plan FROM tenants WHERE tenant_id = $1`, [this.db.tenantId]);
    return rows[0]?.plan;
  }
}
