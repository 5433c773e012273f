import { InjectTransactionHost, TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { QueryFailedError, type Repository } from 'typeorm';
import { ApiKey } from '../api-keys/api-key.entity.js';
import { AUDIT_INSERT, AuditEntry, auditParams, AuditOrigin, VERIFY_CHAIN_SQL } from '../audit/audit.entry.js';
import { PLATFORM_CONNECTION, type PlatformTransactionAdapter } from '../database/platform-transaction.adapter.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { TENANT_COLUMNS, type TenantRow } from '../tenants/tenant.repository.js';
import { CURRENT_QUOTA_MONTH } from '../transactions/quota-month.js';

export interface TenantUsage {
  active_users: number;
  active_api_keys: number;
  accounts: number;
  transactions_this_month: number;
  open_alerts: number;
}

export type TenantWithUsage = TenantRow & { usage: TenantUsage };

export type NewPlatformTenant = Pick<
  Tenant,
  'tenantId' | 'organizationName' | 'subdomain' | 'adminEmail' | 'plan' | 'status' | 'trialEndsAt' | 'maxUsers' | 'maxTransactionsPerMonth' | 'maxStorageGb'
>;

/** Which unique value of tenants another tenant already holds. */
export type TenantConflict = 'tenant_id' | 'subdomain';

const CONFLICTS: Record<string, TenantConflict> = { tenants_pkey: 'tenant_id', tenants_subdomain_key: 'subdomain' };

/** What an operator may change on a tenant. */
export type TenantChanges = Partial<Pick<Tenant, 'plan' | 'status' | 'maxUsers' | 'maxTransactionsPerMonth' | 'maxStorageGb' | 'trialEndsAt'>>;

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
 * Tenants across tenants, for the operators' tooling (admin API and CLI), in the current platform
 * transaction (PlatformTransactionAdapter: the platform role, the tenant set when the work concerns
 * one). A change and its audit row, in the affected tenant's chain, commit together.
 */
@Injectable()
export class PlatformTenantRepository {
  constructor(@InjectTransactionHost(PLATFORM_CONNECTION) private readonly txHost: TransactionHost<PlatformTransactionAdapter>) {}

  private get tenants(): Repository<Tenant> {
    return this.txHost.tx.getRepository(Tenant);
  }

  /**
   * A page of tenants with their usage, keyset on tenant_id. SQL: each row's usage is five
   * correlated counts over five tables folded into one JSON column, so the page is one statement;
   * the query builder would need five sub-query selects and the same hand-made mapping.
   */
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
    return this.txHost.tx.query(
      `SELECT ${PREFIXED_COLUMNS}, ${USAGE_COLUMNS} FROM tenants t ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.tenant_id LIMIT $1`,
      params,
    );
  }

  /** One tenant with its usage; SQL for the same reason as list(). */
  async find(tenantId: string): Promise<TenantWithUsage | undefined> {
    const rows: TenantWithUsage[] = await this.txHost.tx.query(`SELECT ${PREFIXED_COLUMNS}, ${USAGE_COLUMNS} FROM tenants t WHERE t.tenant_id = $1`, [tenantId]);
    return rows[0];
  }

  /** The new tenant, or the unique value another tenant already holds. */
  async insert(tenant: NewPlatformTenant): Promise<{ conflict: TenantConflict } | { conflict?: undefined }> {
    try {
      await this.tenants.insert(tenant);
      return {};
    } catch (error) {
      const conflict = error instanceof QueryFailedError ? CONFLICTS[(error as QueryFailedError & { constraint?: string }).constraint ?? ''] : undefined;
      if (conflict) return { conflict };
      throw error;
    }
  }

  exists(tenantId: string): Promise<boolean> {
    return this.tenants.existsBy({ tenantId });
  }

  findByIdForUpdate(tenantId: string): Promise<Tenant | null> {
    return this.tenants.findOne({ where: { tenantId }, lock: { mode: 'pessimistic_write' } });
  }

  async update(tenantId: string, changes: TenantChanges): Promise<void> {
    await this.tenants.update({ tenantId }, changes);
  }

  /** The first `limit` tenant ids, in order (enough to tell "only the demo tenant" from more). */
  async firstIds(limit: number): Promise<string[]> {
    const tenants = await this.tenants.find({ select: { tenantId: true }, order: { tenantId: 'ASC' }, take: limit });
    return tenants.map((tenant) => tenant.tenantId);
  }

  hasApiKeys(tenantId: string): Promise<boolean> {
    return this.txHost.tx.getRepository(ApiKey).existsBy({ tenantId });
  }

  /**
   * Whether the tenant has users, accounts or alerts: a database converted from a single-tenant
   * installation has its data in the default tenant from the start.
   */
  async holdsData(tenantId: string): Promise<boolean> {
    const [row] = await this.txHost.tx.query(
      `SELECT EXISTS (SELECT 1 FROM tenant_users WHERE tenant_id = $1) OR EXISTS (SELECT 1 FROM accounts WHERE tenant_id = $1)
              OR EXISTS (SELECT 1 FROM fraud_alerts WHERE tenant_id = $1) AS holds`,
      [tenantId],
    );
    return row.holds === true;
  }

  /**
   * Appends to the tenant's audit chain; the transaction must run under that tenant. SQL: the
   * audit insert AuditWriter sends too (the chain's trigger does the rest).
   */
  async appendAudit(tenantId: string, entry: AuditEntry, origin: AuditOrigin): Promise<void> {
    await this.txHost.tx.query(AUDIT_INSERT, auditParams(tenantId, entry, origin));
  }

  /** SQL: the chain is walked inside PostgreSQL, nothing loaded (VERIFY_CHAIN_SQL). */
  async verifyAudit(tenantId: string): Promise<{ checked: number; first_broken_id: string | null }> {
    const rows: Array<{ checked: number; first_broken_id: string | null }> = await this.txHost.tx.query(VERIFY_CHAIN_SQL, [tenantId]);
    return rows[0];
  }
}
