import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { QueryFailedError, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { ApiKey } from '../api-keys/api-key.entity.js';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { CURRENT_QUOTA_MONTH } from '../transactions/quota-month.js';
import { Tenant } from './tenant.entity.js';

export type { TenantView as TenantRow } from './tenant.dto.js';

/** The tenant's columns in the order the API shows them, for the operators' SQL (src/admin). */
export const TENANT_COLUMNS = `tenant_id, organization_name, subdomain, plan, status, settings, ml_config,
  max_users, max_transactions_per_month, max_storage_gb, stripe_customer_id, billing_email,
  created_at, updated_at, trial_ends_at, admin_name, admin_email, admin_phone`;

export type NewTenant = Pick<
  Tenant,
  'tenantId' | 'organizationName' | 'subdomain' | 'plan' | 'adminName' | 'adminEmail' | 'adminPhone' | 'maxUsers' | 'maxTransactionsPerMonth' | 'maxStorageGb'
>;

export type TenantChanges = Partial<Pick<Tenant, 'organizationName' | 'adminName' | 'adminEmail' | 'adminPhone' | 'settings' | 'mlConfig'>>;

export type SignupApiKey = Pick<ApiKey, 'keyName' | 'keyHash' | 'keyPrefix' | 'rateLimitPerMinute' | 'createdBy'> & { scopes: readonly string[] };

/** Which unique value of tenants another tenant holds (the admin e-mail is not unique: see migration 80). */
export type TenantConflict = 'subdomain';

const CONFLICTS: Record<string, TenantConflict> = { tenants_subdomain_key: 'subdomain' };

function conflictOf(error: unknown): TenantConflict | undefined {
  return error instanceof QueryFailedError ? CONFLICTS[(error as QueryFailedError & { constraint?: string }).constraint ?? ''] : undefined;
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

/** The tenant's own row (RLS shows a tenant nothing else), in the current transaction; the tenant is in every WHERE. */
@Injectable()
export class TenantRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  private get tenants(): Repository<Tenant> {
    return this.txHost.tx.getRepository(Tenant);
  }

  findById(tenantId: string): Promise<Tenant | null> {
    return this.tenants.findOneBy({ tenantId });
  }

  findByIdForUpdate(tenantId: string): Promise<Tenant | null> {
    return this.tenants.findOne({ where: { tenantId }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Before a tenant exists: is the subdomain taken? (Subdomains are public host names; whether an
   * e-mail is used elsewhere is never asked.)
   */
  async subdomainTaken(subdomain: string): Promise<boolean> {
    // SQL: a SECURITY DEFINER function, the one way to see other tenants' rows.
    const rows: unknown[] = await this.txHost.tx.query('SELECT 1 FROM fg_tenant_by_subdomain($1)', [subdomain]);
    return rows.length > 0;
  }

  /**
   * Signup: a TRIAL tenant whose trial ends `trialDays` from now; the transaction's tenant is
   * already `tenant.tenantId`. Answers the conflict instead when a concurrent signup took the
   * subdomain or the e-mail first.
   */
  async create(tenant: NewTenant, trialDays: number): Promise<{ tenant: Tenant } | { conflict: TenantConflict }> {
    const values = { ...tenant, status: 'TRIAL' as const, stripeCustomerId: null, billingEmail: null };
    try {
      const result = await this.tenants
        .createQueryBuilder()
        .insert()
        .values({ ...values, trialEndsAt: () => 'now() + make_interval(days => :trialDays)' })
        .setParameter('trialDays', trialDays)
        .execute();
      return { tenant: this.tenants.create({ ...values, ...result.generatedMaps[0] }) };
    } catch (error) {
      const conflict = conflictOf(error);
      if (conflict) return { conflict };
      throw error;
    }
  }

  /**
   * `mlConfig` is merged into the stored object, the other fields replaced. Answers the row as
   * stored (updated_at comes from its trigger), or the conflict when the admin e-mail is another
   * tenant's.
   */
  async update(tenantId: string, changes: TenantChanges): Promise<{ tenant: Tenant | null } | { conflict: TenantConflict }> {
    const { mlConfig, ...replaced } = changes;
    const set: QueryDeepPartialEntity<Tenant> = Object.fromEntries(Object.entries(replaced).filter(([, value]) => value !== undefined));
    if (mlConfig !== undefined) set.mlConfig = () => `COALESCE(ml_config, '{}'::jsonb) || :mlConfig::jsonb`;
    if (Object.keys(set).length > 0) {
      try {
        const query = this.tenants.createQueryBuilder().update().set(set).where({ tenantId });
        if (mlConfig !== undefined) query.setParameter('mlConfig', JSON.stringify(mlConfig));
        await query.execute();
      } catch (error) {
        const conflict = conflictOf(error);
        if (conflict) return { conflict };
        throw error;
      }
    }
    return { tenant: await this.findById(tenantId) };
  }

  /** The default API key a signup issues (its hash and display prefix only). */
  async createApiKey(tenantId: string, key: SignupApiKey): Promise<ApiKey> {
    const values = { tenantId, ...key, scopes: [...key.scopes], expiresAt: null, lastUsedAt: null };
    const result = await this.txHost.tx.getRepository(ApiKey).createQueryBuilder().insert().values(values).execute();
    return this.txHost.tx.getRepository(ApiKey).create({ ...values, ...result.generatedMaps[0] });
  }

  /**
   * Usage of the current month. Storage is measured as the on-disk size of the tenant's rows
   * (pg_column_size of each whole row) across its tables — a scan of the tenant's rows, which is
   * fine for a dashboard call, not for a hot path.
   */
  async usage(tenantId: string): Promise<UsageRow | undefined> {
    // SQL: sums over eight tables' whole rows (pg_column_size) that no entity query can express.
    const storage = STORAGE_TABLES.map((table) => `COALESCE((SELECT sum(pg_column_size(x.*)) FROM ${table} x WHERE x.tenant_id = $1), 0)`).join(' + ');
    const rows: UsageRow[] = await this.txHost.tx.query(
      // The quota counter, not a count of txn_time: it is what ingest enforces, so the two always agree.
      `SELECT coalesce((SELECT sum(u.transactions) FROM tenant_monthly_usage u
                         WHERE u.tenant_id = $1 AND u.month = ${CURRENT_QUOTA_MONTH}), 0)::float8 AS transactions_this_month,
              (SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND is_active)::int AS active_users,
              t.max_transactions_per_month, t.max_users, t.max_storage_gb,
              (${storage})::bigint AS storage_bytes
         FROM tenants t WHERE t.tenant_id = $1`,
      [tenantId],
    );
    return rows[0];
  }
}
