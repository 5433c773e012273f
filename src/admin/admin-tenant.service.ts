import { InjectTransactionHost, TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuditOrigin } from '../audit/audit.entry.js';
import { decodeCursor, Page, toPage } from '../common/pagination.js';
import { ProblemException } from '../common/problem.js';
import { PLATFORM_CONNECTION, type PlatformTransactionAdapter } from '../database/platform-transaction.adapter.js';
import { PLANS } from '../tenants/plans.js';
import type { Tenant } from '../tenants/tenant.entity.js';
import type { AdminTenantPatchDto, CreateTenantDto } from './admin-tenant.dto.js';
import { PlatformTenantRepository, TenantChanges, TenantConflict, TenantWithUsage } from './platform-tenant.repository.js';

const DAY_MS = 86_400_000;

export const TENANT_STATUSES = ['ACTIVE', 'SUSPENDED', 'TRIAL', 'CANCELLED'] as const;
/** What an operator can set directly; TRIAL is entered by extending a trial. */
export const OPERATOR_STATUSES = ['ACTIVE', 'SUSPENDED', 'CANCELLED'] as const;

/** Thrown for a tenant id that does not exist (the HTTP layer answers 404, the CLI exits 1). */
export class UnknownTenantError extends ProblemException {
  constructor(tenantId: string) {
    super(404, 'not-found', 'Not Found', `Tenant ${tenantId} not found`);
  }
}

const CONFLICT_NAMES: Record<TenantConflict, string> = { tenant_id: 'id', subdomain: 'subdomain' };

/** The fields an operator's change is audited by, with their names on the wire. */
const AUDITED_FIELDS: ReadonlyArray<[keyof TenantChanges, string]> = [
  ['plan', 'plan'],
  ['status', 'status'],
  ['maxUsers', 'max_users'],
  ['maxTransactionsPerMonth', 'max_transactions_per_month'],
  ['maxStorageGb', 'max_storage_gb'],
  ['trialEndsAt', 'trial_ends_at'],
];

/** Only what changed, for the audit row. */
function diff(before: Tenant, changes: TenantChanges): { old_value: Record<string, unknown>; new_value: Record<string, unknown> } {
  const old_value: Record<string, unknown> = {};
  const new_value: Record<string, unknown> = {};
  const wire = (value: unknown) => (value instanceof Date ? value.toISOString() : value);
  for (const [field, name] of AUDITED_FIELDS) {
    if (!(field in changes)) continue;
    const a = wire(before[field]);
    const b = wire(changes[field]);
    if (a !== b) {
      old_value[name] = a;
      new_value[name] = b;
    }
  }
  return { old_value, new_value };
}

/** The operators' tenant work, shared by the HTTP admin API and the CLI; through the platform door, never tenant-scoped. */
@Injectable()
export class AdminTenantService {
  constructor(
    private readonly tenants: PlatformTenantRepository,
    @InjectTransactionHost(PLATFORM_CONNECTION) private readonly txHost: TransactionHost<PlatformTransactionAdapter>,
  ) {}

  async list(query: { limit?: number; starting_after?: string; status?: (typeof TENANT_STATUSES)[number] }): Promise<Page<TenantWithUsage>> {
    const limit = query.limit ?? 50;
    const after = decodeCursor('admin-tenants', query.starting_after, 1);
    const rows = await this.txHost.withTransaction({ readOnly: true }, () =>
      this.tenants.list({ limit, after: after ? String(after[0]) : undefined, status: query.status }),
    );
    return toPage('admin-tenants', rows, limit, (row) => [row.tenant_id]);
  }

  async get(tenantId: string): Promise<TenantWithUsage> {
    const tenant = await this.txHost.withTransaction({ readOnly: true }, () => this.tenants.find(tenantId));
    if (!tenant) throw new UnknownTenantError(tenantId);
    return tenant;
  }

  /**
   * An operator's new tenant, ACTIVE — or TRIAL for `trial_days` — with its plan's limits, and its
   * first audit row ('tenant.created'), in one transaction under that tenant. Its users and keys
   * are made by the tenant's own services (the CLI's user:create, apikey:create).
   */
  async create(dto: CreateTenantDto, origin: AuditOrigin): Promise<TenantWithUsage> {
    const tenantId = dto.tenant_id ?? randomUUID();
    const plan = dto.plan ?? 'STARTER';
    const limits = PLANS[plan];
    const trialEndsAt = dto.trial_days !== undefined ? new Date(Date.now() + dto.trial_days * DAY_MS) : null;
    const tenant = {
      tenantId,
      organizationName: dto.organization_name,
      subdomain: dto.subdomain,
      adminEmail: dto.admin_email,
      plan,
      status: trialEndsAt ? ('TRIAL' as const) : ('ACTIVE' as const),
      trialEndsAt,
      maxUsers: limits.max_users,
      maxTransactionsPerMonth: limits.max_transactions_per_month,
      maxStorageGb: limits.max_storage_gb,
    };
    await this.txHost.withTransaction({ tenantId }, async () => {
      const { conflict } = await this.tenants.insert(tenant);
      if (conflict) {
        throw new ProblemException(409, 'tenant-exists', 'Tenant exists', `a tenant with this ${CONFLICT_NAMES[conflict]} already exists`, { conflicts: [conflict] });
      }
      await this.tenants.appendAudit(
        tenantId,
        {
          action: 'tenant.created',
          resourceType: 'tenant',
          resourceId: tenantId,
          newValue: {
            tenant_id: tenantId,
            organization_name: tenant.organizationName,
            subdomain: tenant.subdomain,
            admin_email: tenant.adminEmail,
            plan,
            status: tenant.status,
            trial_ends_at: trialEndsAt,
            max_users: tenant.maxUsers,
            max_transactions_per_month: tenant.maxTransactionsPerMonth,
            max_storage_gb: tenant.maxStorageGb,
          },
        },
        origin,
      );
    });
    return this.get(tenantId);
  }

  /** Applies an operator's change and records it in the tenant's own audit trail, in one transaction under that tenant. */
  async update(tenantId: string, patch: AdminTenantPatchDto, origin: AuditOrigin): Promise<TenantWithUsage> {
    const { reason, ...fields } = patch;
    if (Object.values(fields).every((value) => value === undefined)) {
      throw new ProblemException(400, 'validation-error', 'Validation failed', 'Nothing to change: give at least one field', {
        errors: [{ field: '', message: 'at least one of plan, status, max_users, max_transactions_per_month, max_storage_gb, extend_trial_days' }],
      });
    }
    await this.txHost.withTransaction({ tenantId }, async () => {
      const current = await this.tenants.findByIdForUpdate(tenantId);
      if (!current) throw new UnknownTenantError(tenantId);
      const changes = this.changes(current, patch);
      if (Object.keys(changes).length) await this.tenants.update(tenantId, changes);
      const { old_value, new_value } = diff(current, changes);
      await this.tenants.appendAudit(
        tenantId,
        {
          action: actionOf(patch),
          resourceType: 'tenant',
          resourceId: tenantId,
          severity: patch.status === 'SUSPENDED' || patch.status === 'CANCELLED' ? 'WARNING' : 'INFO',
          oldValue: old_value,
          newValue: reason ? { ...new_value, reason } : new_value,
        },
        origin,
      );
    });
    return this.get(tenantId);
  }

  /** Throws UnknownTenantError unless the tenant exists. */
  async assertExists(tenantId: string): Promise<void> {
    if (!(await this.txHost.withTransaction({ readOnly: true }, () => this.tenants.exists(tenantId)))) throw new UnknownTenantError(tenantId);
  }

  /** Walks the tenant's audit hash chain. */
  async verifyAudit(tenantId: string): Promise<{ tenant_id: string; valid: boolean; checked: number; first_broken_id: string | null }> {
    const { checked, first_broken_id } = await this.txHost.withTransaction({ tenantId, readOnly: true }, () => this.tenants.verifyAudit(tenantId));
    return { tenant_id: tenantId, valid: first_broken_id === null, checked, first_broken_id };
  }

  /** Whether `tenantId` is the only tenant, with no API key, user or data yet: a first start on a fresh database. */
  isPristine(tenantId: string): Promise<boolean> {
    return this.txHost.withTransaction({ readOnly: true }, async () => {
      const ids = await this.tenants.firstIds(2);
      return ids.length === 1 && ids[0] === tenantId && !(await this.tenants.hasApiKeys(tenantId)) && !(await this.tenants.holdsData(tenantId));
    });
  }

  private changes(current: Tenant, patch: AdminTenantPatchDto): TenantChanges {
    const changes: TenantChanges = {};
    if (patch.plan !== undefined) {
      changes.plan = patch.plan;
      const limits = PLANS[patch.plan];
      changes.maxUsers = limits.max_users;
      changes.maxTransactionsPerMonth = limits.max_transactions_per_month;
      changes.maxStorageGb = limits.max_storage_gb;
    }
    if (patch.max_users !== undefined) changes.maxUsers = patch.max_users;
    if (patch.max_transactions_per_month !== undefined) changes.maxTransactionsPerMonth = patch.max_transactions_per_month;
    if (patch.max_storage_gb !== undefined) changes.maxStorageGb = patch.max_storage_gb;
    if (patch.extend_trial_days !== undefined) {
      const end = current.trialEndsAt ? current.trialEndsAt.getTime() : 0;
      changes.trialEndsAt = new Date(Math.max(end, Date.now()) + patch.extend_trial_days * DAY_MS);
      if (current.status !== 'ACTIVE' && patch.status === undefined) changes.status = 'TRIAL';
    }
    if (patch.status !== undefined) changes.status = patch.status;
    return changes;
  }
}

function actionOf(patch: AdminTenantPatchDto): string {
  if (patch.status === 'SUSPENDED') return 'tenant.suspended';
  if (patch.status === 'CANCELLED') return 'tenant.cancelled';
  if (patch.status === 'ACTIVE') return 'tenant.reactivated';
  if (patch.extend_trial_days !== undefined) return 'tenant.trial_extended';
  if (patch.plan !== undefined) return 'tenant.plan_changed';
  return 'tenant.limits_changed';
}
