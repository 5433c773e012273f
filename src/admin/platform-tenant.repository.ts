import { AUDIT_INSERT, AuditEntry, auditParams, AuditOrigin, VERIFY_CHAIN_SQL } from '../audit/audit.entry.js';
import { TENANT_COLUMNS, TenantRow } from '../tenants/tenant.repository.js';
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
    'transactions_this_month', (SELECT count(*) FROM transactions x WHERE x.tenant_id = t.tenant_id
                                  AND x.txn_time >= date_trunc('month', now()))::int,
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
}
