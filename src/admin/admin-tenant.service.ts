import { ProblemException } from '../common/problem.js';
import type { AuditOrigin } from '../audit/audit.entry.js';
import { decodeCursor, Page, toPage } from '../common/pagination.js';
import { PLANS } from '../tenants/plans.js';
import type { TenantRow } from '../tenants/tenant.repository.js';
import type { AdminTenantPatchDto } from './admin-tenant.dto.js';
import { PlatformTenantRepository, TenantChanges, TenantWithUsage } from './platform-tenant.repository.js';

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

/** Only what changed, for the audit row. */
function diff(before: TenantRow, after: TenantRow): { old_value: Record<string, unknown>; new_value: Record<string, unknown> } {
  const old_value: Record<string, unknown> = {};
  const new_value: Record<string, unknown> = {};
  for (const key of ['plan', 'status', 'max_users', 'max_transactions_per_month', 'max_storage_gb', 'trial_ends_at'] as const) {
    const a = before[key] instanceof Date ? (before[key] as Date).toISOString() : before[key];
    const b = after[key] instanceof Date ? (after[key] as Date).toISOString() : after[key];
    if (a !== b) {
      old_value[key] = a;
      new_value[key] = b;
    }
  }
  return { old_value, new_value };
}

/** The operators' tenant work, shared by the HTTP admin API and the CLI. Not tenant-scoped. */
export class AdminTenantService {
  constructor(private readonly tenants: PlatformTenantRepository) {}

  async list(query: { limit?: number; starting_after?: string; status?: (typeof TENANT_STATUSES)[number] }): Promise<Page<TenantWithUsage>> {
    const limit = query.limit ?? 50;
    const after = decodeCursor('admin-tenants', query.starting_after, 1);
    const rows = await this.tenants.list({ limit, after: after ? String(after[0]) : undefined, status: query.status });
    return toPage('admin-tenants', rows, limit, (row) => [row.tenant_id]);
  }

  async get(tenantId: string): Promise<TenantWithUsage> {
    const tenant = await this.tenants.find(tenantId);
    if (!tenant) throw new UnknownTenantError(tenantId);
    return tenant;
  }

  /** Applies an operator's change and records it in the tenant's own audit trail. */
  async update(tenantId: string, patch: AdminTenantPatchDto, origin: AuditOrigin): Promise<TenantWithUsage> {
    const { reason, ...fields } = patch;
    if (Object.values(fields).every((value) => value === undefined)) {
      throw new ProblemException(400, 'validation-error', 'Validation failed', 'Nothing to change: give at least one field', {
        errors: [{ field: '', message: 'at least one of plan, status, max_users, max_transactions_per_month, max_storage_gb, extend_trial_days' }],
      });
    }
    const updated = await this.tenants.update(
      tenantId,
      (current) => this.changes(current, patch),
      (before, after) => {
        const { old_value, new_value } = diff(before, after);
        return {
          action: actionOf(patch),
          resourceType: 'tenant',
          resourceId: tenantId,
          severity: patch.status === 'SUSPENDED' || patch.status === 'CANCELLED' ? 'WARNING' : 'INFO',
          oldValue: old_value,
          newValue: reason ? { ...new_value, reason } : new_value,
        };
      },
      origin,
    );
    if (!updated) throw new UnknownTenantError(tenantId);
    return this.get(tenantId);
  }

  private changes(current: TenantRow, patch: AdminTenantPatchDto): TenantChanges {
    const changes: TenantChanges = {};
    if (patch.plan !== undefined) {
      changes.plan = patch.plan;
      const limits = PLANS[patch.plan];
      changes.max_users = limits.max_users;
      changes.max_transactions_per_month = limits.max_transactions_per_month;
      changes.max_storage_gb = limits.max_storage_gb;
    }
    if (patch.max_users !== undefined) changes.max_users = patch.max_users;
    if (patch.max_transactions_per_month !== undefined) changes.max_transactions_per_month = patch.max_transactions_per_month;
    if (patch.max_storage_gb !== undefined) changes.max_storage_gb = patch.max_storage_gb;
    if (patch.extend_trial_days !== undefined) {
      const end = current.trial_ends_at ? new Date(current.trial_ends_at).getTime() : 0;
      changes.trial_ends_at = new Date(Math.max(end, Date.now()) + patch.extend_trial_days * DAY_MS);
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
