import { AUDIT_INSERT, AuditEntry, auditParams, AuditOrigin, VERIFY_CHAIN_SQL } from '../audit/audit.entry.js';
import { TENANT_COLUMNS, TenantRow } from '../tenants/tenant.repository.js';
import { CURRENT_QUOTA_MONTH } from '../transactions/quota-month.js';
import type { PlatformClient, PlatformDatabase } from './platform-database.js';

export interface TenantUsage {
  active_users: number;
  active_api_keys: number;
  accounts: number;
  transactions_this_month: number;
  open_alerts: number;
}

export type TenantWithUsage = TenantRow & { usage: TenantUsage };

export type TenantChanges = Partial<Pick<TenantRow, 'plan' | 'status' | 'max_users' | 'max_transactions_per_month' | 'max_storage_gb'>> & {
  trial_ends_at?: Date;
};

const USAGE_COLUMNS = `json_build_object(
    'active_users', (SELECT count(*) FROM tenant_users u WHERE u.tenant_id = t.tenant_id AND u.is_active)::int,
    'active_api_keys', (SELECT count(*) FROM tenant_api_keys k WHERE k.tenant_id = t.tenant_id AND k.is_active
                          AND (k.expires_at IS NULL OR k.expires_at > now()))::int,
    'accounts', (SELECT count(*) FROM accounts a WHERE a.tenant_id = t.tenant_id)::int,
    'transactions_this_month', (SELECT coalesce(sum(q.transactions), 0) FROM tenant_monthly_usage q WHERE q.tenant_id = t.tenant_id
                                  AND q.month = ${CURRENT_QUOTA_MONTH})::int,
    'open_alerts', (SELECT count(*) FROM fraud_alerts f WHERE f.tenant_id = t.tenant_id AND NOT f.handled)::int
  ) AS usage`;

const PREFIXED_COLUMNS = TENANT_COLUMNS.split(',').map((column) => `t.${column.trim()}`).join(', ');

/**
 * Cross-tenant reads and writes of the operators' tooling, always through PlatformDatabase. Each
 * write and its audit row (in the affected tenant's chain) commit together.
 */
export class PlatformTenantRepository {
  constructor(private readonly db: PlatformDatabase) {}

  list(options: { limit: number; after?: string; status?: string }): Promise<TenantWithUsage[]> {
    const params: unknown[] = [options.limit + 1];
    const where: string[] = [];
    if (options.after !== undefined) {
      params.push(options.after);
      where.push(`t.tenant_id > $${params.length}`);
    }
    if (options.status !== undefined) {
      params.push(options.status);
      where.push(`t.status = $${params.length}`);
    }
    return this.db.transaction(
      async (client) =>
        (
          await client.query(
            `SELECT ${PREFIXED_COLUMNS}, ${USAGE_COLUMNS} FROM tenants t
              ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.tenant_id LIMIT $1`,
            params,
          )
        ).rows,
      { readOnly: true },
    );
  }

  find(tenantId: string): Promise<TenantWithUsage | undefined> {
    return this.db.transaction(
      async (client) => (await client.query(`SELECT ${PREFIXED_COLUMNS}, ${USAGE_COLUMNS} FROM tenants t WHERE t.tenant_id = $1`, [tenantId])).rows[0],
      { readOnly: true },
    );
  }

  /**
   * Locks the tenant row, lets `decide` compute the changes from the current values, applies them
   * and appends the audit row to that tenant's trail, all in one transaction. `undefined` when the
   * tenant does not exist.
   */
  async update(
    tenantId: string,
    decide: (current: TenantRow) => TenantChanges,
    audit: (before: TenantRow, after: TenantRow) => AuditEntry,
    origin: AuditOrigin,
  ): Promise<TenantRow | undefined> {
    return this.db.transaction(
      async (client) => {
        const current = (await client.query(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE tenant_id = $1 FOR UPDATE`, [tenantId])).rows[0] as TenantRow | undefined;
        if (!current) return undefined;
        const changes = decide(current);
        const columns = Object.keys(changes) as (keyof TenantChanges)[];
        let updated = current;
        if (columns.length) {
          const sets = columns.map((column, index) => `${column} = $${index + 2}`).join(', ');
          updated = (
            await client.query(`UPDATE tenants SET ${sets} WHERE tenant_id = $1 RETURNING ${TENANT_COLUMNS}`, [tenantId, ...columns.map((column) => changes[column])])
          ).rows[0];
        }
        await this.appendAudit(client, tenantId, audit(current, updated), origin);
        return updated;
      },
      { tenantId },
    );
  }

  /** Inserts into a tenant's chain inside `client`'s transaction, which must have that tenant set. */
  async appendAudit(client: PlatformClient, tenantId: string, entry: AuditEntry, origin: AuditOrigin): Promise<void> {
    await client.query(AUDIT_INSERT, auditParams(tenantId, entry, origin));
  }

  /** Runs `work` as one transaction under the tenant (creation flows of the CLI). */
  withTenant<T>(tenantId: string, work: (client: PlatformClient) => Promise<T>): Promise<T> {
    return this.db.transaction(work, { tenantId });
  }

  async verifyAudit(tenantId: string): Promise<{ checked: number; first_broken_id: string | null }> {
    return this.db.transaction(
      async (client) => (await client.query(VERIFY_CHAIN_SQL, [tenantId])).rows[0],
      { tenantId, readOnly: true },
    );
  }

  /** A new tenant and its first audit row ('tenant.created'), in one transaction under that tenant. */
  createTenant(
    tenant: { tenant_id: string; organization_name: string; subdomain: string; admin_email: string; plan: string; status: string; trial_ends_at: Date | null;
      max_users: number; max_transactions_per_month: number; max_storage_gb: number },
    origin: AuditOrigin,
  ): Promise<TenantRow> {
    return this.withTenant(tenant.tenant_id, async (client) => {
      const row = (
        await client.query(
          `INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_email, plan, status, trial_ends_at,
                                max_users, max_transactions_per_month, max_storage_gb)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${TENANT_COLUMNS}`,
          [tenant.tenant_id, tenant.organization_name, tenant.subdomain, tenant.admin_email, tenant.plan, tenant.status, tenant.trial_ends_at,
            tenant.max_users, tenant.max_transactions_per_month, tenant.max_storage_gb],
        )
      ).rows[0] as TenantRow;
      await this.appendAudit(client, tenant.tenant_id, { action: 'tenant.created', resourceType: 'tenant', resourceId: tenant.tenant_id, newValue: tenant }, origin);
      return row;
    });
  }

  /** A tenant user (password already hashed) and its 'user.created' audit row. */
  createUser(
    tenantId: string,
    user: { email: string; password_hash: string; full_name: string | null; role: string },
    origin: AuditOrigin,
  ): Promise<{ id: number; tenant_id: string; email: string; full_name: string | null; role: string }> {
    return this.withTenant(tenantId, async (client) => {
      await this.assertExists(client, tenantId);
      const row = (
        await client.query(
          `INSERT INTO tenant_users (tenant_id, email, password_hash, full_name, role, email_verified)
           VALUES ($1, $2, $3, $4, $5, true) RETURNING id, tenant_id, email, full_name, role`,
          [tenantId, user.email, user.password_hash, user.full_name, user.role],
        )
      ).rows[0];
      await this.appendAudit(client, tenantId, { action: 'user.created', resourceType: 'user', resourceId: row.id, newValue: row }, origin);
      return row;
    });
  }

  /** An API key (hash and prefix only) and its 'api_key.created' audit row. */
  createApiKey(
    tenantId: string,
    key: { key_name: string; key_hash: string; key_prefix: string; scopes: string[] },
    origin: AuditOrigin,
  ): Promise<{ id: number; tenant_id: string; key_name: string; key_prefix: string; scopes: string[]; rate_limit_per_minute: number }> {
    return this.withTenant(tenantId, async (client) => {
      await this.assertExists(client, tenantId);
      const row = (
        await client.query(
          `INSERT INTO tenant_api_keys (tenant_id, key_name, key_hash, key_prefix, scopes)
           VALUES ($1, $2, $3, $4, $5) RETURNING id, tenant_id, key_name, key_prefix, scopes, rate_limit_per_minute`,
          [tenantId, key.key_name, key.key_hash, key.key_prefix, key.scopes],
        )
      ).rows[0];
      await this.appendAudit(client, tenantId, { action: 'api_key.created', resourceType: 'api_key', resourceId: row.id, newValue: row }, origin);
      return row;
    });
  }

  private async assertExists(client: PlatformClient, tenantId: string): Promise<void> {
    const { rowCount } = await client.query(`SELECT 1 FROM tenants WHERE tenant_id = $1`, [tenantId]);
    if (!rowCount) throw new UnknownTenantIdError(tenantId);
  }
}

export class UnknownTenantIdError extends Error {
  constructor(readonly tenantId: string) {
    super(`Tenant ${tenantId} not found`);
  }
}
