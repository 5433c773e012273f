import { CURRENT_QUOTA_MONTH } from '../transactions/quota-month.js';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';

export interface TenantRow {
  tenant_id: string;
  organization_name: string;
  subdomain: string;
  plan: string;
  status: string;
  settings: Record<string, unknown>;
  ml_config: Record<string, unknown>;
  max_users: number;
  max_transactions_per_month: number;
  max_storage_gb: number;
  stripe_customer_id: string | null;
  billing_email: string | null;
  created_at: Date;
  updated_at: Date;
  trial_ends_at: Date | null;
  admin_name: string | null;
  admin_email: string;
  admin_phone: string | null;
}

export const TENANT_COLUMNS = `tenant_id, organization_name, subdomain, plan, status, settings, ml_config,
  max_users, max_transactions_per_month, max_storage_gb, stripe_customer_id, billing_email,
  created_at, updated_at, trial_ends_at, admin_name, admin_email, admin_phone`;

export interface NewTenant {
  tenant_id: string;
  organization_name: string;
  subdomain: string;
  plan: string;
  admin_name: string;
  admin_email: string;
  admin_phone: string | null;
  max_users: number;
  max_transactions_per_month: number;
  max_storage_gb: number;
}

export interface TenantChanges {
  organization_name?: string;
  admin_name?: string;
  admin_email?: string;
  admin_phone?: string | null;
  settings?: Record<string, unknown>;
  ml_config?: Record<string, unknown>;
}

export interface UsageRow {
  transactions_this_month: number;
  active_users: number;
  max_transactions_per_month: number;
  max_users: number;
  max_storage_gb: number;
  storage_bytes: string;
}

/** Tables whose rows count towards a tenant's storage. */
const STORAGE_TABLES = ['tenants', 'tenant_users', 'tenant_api_keys', 'audit_logs', 'accounts', 'transactions', 'fraud_alerts', 'system_logs'];

@RequestBound()
export class TenantRepository {
  constructor(private readonly db: TenantConnection) {}

  async findCurrent(): Promise<TenantRow | undefined> {
    const rows = await this.db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE tenant_id = $1`, [this.db.tenantId]);
    return rows[0];
  }

  /** Before a tenant exists: is the subdomain or the admin e-mail taken by anyone (definer look-up)? */
  async signupConflicts(subdomain: string, email: string): Promise<{ subdomain_taken: boolean; email_taken: boolean }> {
    const rows = await this.db.query<{ subdomain_taken: boolean; email_taken: boolean }>('SELECT * FROM fg_signup_conflicts($1, $2)', [subdomain, email]);
    return rows[0];
  }

  /** Signup: the transaction's tenant has just been set to `tenant.tenant_id`. */
  async insert(tenant: NewTenant, trialDays: number): Promise<TenantRow> {
    const rows = await this.db.query<TenantRow>(
      `INSERT INTO tenants (tenant_id, organization_name, subdomain, plan, status, admin_name, admin_email, admin_phone,
                            max_users, max_transactions_per_month, max_storage_gb, trial_ends_at)
       VALUES ($1, $2, $3, $4, 'TRIAL', $5, $6, $7, $8, $9, $10, now() + make_interval(days => $11))
       RETURNING ${TENANT_COLUMNS}`,
      [tenant.tenant_id, tenant.organization_name, tenant.subdomain, tenant.plan, tenant.admin_name, tenant.admin_email, tenant.admin_phone,
        tenant.max_users, tenant.max_transactions_per_month, tenant.max_storage_gb, trialDays],
    );
    return rows[0];
  }

  async findCurrentForUpdate(): Promise<TenantRow | undefined> {
    const rows = await this.db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE tenant_id = $1 FOR UPDATE`, [this.db.tenantId]);
    return rows[0];
  }

  /** `ml_config` is merged into the stored object; the other fields are replaced. */
  async update(changes: TenantChanges): Promise<TenantRow> {
    const sets: string[] = [];
    const values: unknown[] = [this.db.tenantId];
    const set = (sql: (param: string) => string, value: unknown) => {
      values.push(value);
      sets.push(sql(`$${values.length}`));
    };
    if (changes.organization_name !== undefined) set((p) => `organization_name = ${p}`, changes.organization_name);
    if (changes.admin_name !== undefined) set((p) => `admin_name = ${p}`, changes.admin_name);
    if (changes.admin_email !== undefined) set((p) => `admin_email = ${p}`, changes.admin_email);
    if (changes.admin_phone !== undefined) set((p) => `admin_phone = ${p}`, changes.admin_phone);
    if (changes.settings !== undefined) set((p) => `settings = ${p}::jsonb`, JSON.stringify(changes.settings));
    if (changes.ml_config !== undefined) set((p) => `ml_config = COALESCE(ml_config, '{}'::jsonb) || ${p}::jsonb`, JSON.stringify(changes.ml_config));
    if (!sets.length) return (await this.findCurrent())!;
    const rows = await this.db.query<TenantRow>(
      `UPDATE tenants SET ${sets.join(', ')} WHERE tenant_id = $1 RETURNING ${TENANT_COLUMNS}`,
      values,
    );
    return rows[0];
  }

  /**
   * Usage of the current month. Storage is measured as the on-disk size of the tenant's rows
   * (pg_column_size of each whole row) across its tables — a scan of the tenant's rows, which is
   * fine for a dashboard call, not for a hot path.
   */
  async usage(): Promise<UsageRow | undefined> {
    const storage = STORAGE_TABLES.map((table) => `COALESCE((SELECT sum(pg_column_size(x.*)) FROM ${table} x WHERE x.tenant_id = $1), 0)`).join(' + ');
    const rows = await this.db.query<UsageRow>(
      // The quota counter, not a count of txn_time: it is what ingest enforces, so the two always agree.
      `SELECT coalesce((SELECT sum(u.transactions) FROM tenant_monthly_usage u
                         WHERE u.tenant_id = $1 AND u.month = ${CURRENT_QUOTA_MONTH}), 0)::float8 AS transactions_this_month,
              (SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND is_active)::int AS active_users,
              t.max_transactions_per_month, t.max_users, t.max_storage_gb,
              (${storage})::bigint AS storage_bytes
         FROM tenants t WHERE t.tenant_id = $1`,
      [this.db.tenantId],
    );
    return rows[0];
  }
}
