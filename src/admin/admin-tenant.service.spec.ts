import type { TransactionHost } from '@nestjs-cls/transactional';
import type { AuditEntry, AuditOrigin } from '../audit/audit.entry.js';
import { ProblemException } from '../common/problem.js';
import type { PlatformTransactionAdapter, PlatformTransactionOptions } from '../database/platform-transaction.adapter.js';
import type { Tenant } from '../tenants/tenant.entity.js';
import { AdminTenantService } from './admin-tenant.service.js';
import type { NewPlatformTenant, PlatformTenantRepository, TenantChanges, TenantConflict } from './platform-tenant.repository.js';

const DAY = 86_400_000;
const ORIGIN: AuditOrigin = { userId: null, userAgent: 'test', requestId: 'r-1', actor: { operator: 'test' } };

function tenant(overrides: Partial<Tenant> = {}): Tenant {
  return {
    tenantId: 'tenant-a',
    plan: 'STARTER',
    status: 'ACTIVE',
    maxUsers: 5,
    maxTransactionsPerMonth: 50_000,
    maxStorageGb: 10,
    trialEndsAt: null,
    ...overrides,
  } as Tenant;
}

/** The service over a fake repository and a transaction host that records each transaction's options. */
function harness(options: { stored?: Tenant; conflict?: TenantConflict; ids?: string[]; hasKeys?: boolean; holdsData?: boolean } = {}) {
  const transactions: PlatformTransactionOptions[] = [];
  const updates: TenantChanges[] = [];
  const inserted: NewPlatformTenant[] = [];
  const audited: Array<{ tenantId: string; entry: AuditEntry; origin: AuditOrigin }> = [];
  const repository = {
    findByIdForUpdate: async (id: string) => (options.stored?.tenantId === id ? options.stored : null),
    update: async (_id: string, changes: TenantChanges) => void updates.push(changes),
    insert: async (row: NewPlatformTenant) => (options.conflict ? { conflict: options.conflict } : (inserted.push(row), {})),
    appendAudit: async (tenantId: string, entry: AuditEntry, origin: AuditOrigin) => void audited.push({ tenantId, entry, origin }),
    find: async (id: string) => ({ tenant_id: id }),
    firstIds: async () => options.ids ?? [],
    hasApiKeys: async () => options.hasKeys ?? false,
    holdsData: async () => options.holdsData ?? false,
  } as unknown as PlatformTenantRepository;
  const txHost = {
    withTransaction: (txOptions: PlatformTransactionOptions, work: () => Promise<unknown>) => {
      transactions.push(txOptions);
      return work();
    },
  } as unknown as TransactionHost<PlatformTransactionAdapter>;
  return { service: new AdminTenantService(repository, txHost), transactions, updates, inserted, audited };
}

async function refusal(work: Promise<unknown>): Promise<ProblemException> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProblemException);
  return error as ProblemException;
}

describe('AdminTenantService.update', () => {
  it("sets a new plan's limits, lets limits given explicitly win, and audits only what changed, under the tenant", async () => {
    const h = harness({ stored: tenant() });
    await h.service.update('tenant-a', { plan: 'PROFESSIONAL', max_users: 30, reason: 'upsell' }, ORIGIN);
    expect(h.updates).toEqual([{ plan: 'PROFESSIONAL', maxUsers: 30, maxTransactionsPerMonth: 1_000_000, maxStorageGb: 100 }]);
    expect(h.audited).toEqual([
      {
        tenantId: 'tenant-a',
        origin: ORIGIN,
        entry: expect.objectContaining({
          action: 'tenant.plan_changed',
          severity: 'INFO',
          oldValue: { plan: 'STARTER', max_users: 5, max_transactions_per_month: 50_000, max_storage_gb: 10 },
          newValue: { plan: 'PROFESSIONAL', max_users: 30, max_transactions_per_month: 1_000_000, max_storage_gb: 100, reason: 'upsell' },
        }),
      },
    ]);
    expect(h.transactions[0]).toEqual({ tenantId: 'tenant-a' });
  });

  it('extends a running trial from its end and an ended one from now, back to TRIAL unless ACTIVE', async () => {
    const end = new Date(Date.now() + 3 * DAY);
    const running = harness({ stored: tenant({ status: 'TRIAL', trialEndsAt: end }) });
    await running.service.update('tenant-a', { extend_trial_days: 7 }, ORIGIN);
    expect(running.updates[0].trialEndsAt!.getTime()).toBe(end.getTime() + 7 * DAY);

    const ended = harness({ stored: tenant({ status: 'SUSPENDED', trialEndsAt: new Date(Date.now() - 30 * DAY) }) });
    const before = Date.now();
    await ended.service.update('tenant-a', { extend_trial_days: 1 }, ORIGIN);
    expect(ended.updates[0].status).toBe('TRIAL');
    expect(ended.updates[0].trialEndsAt!.getTime()).toBeGreaterThanOrEqual(before + DAY);
    expect(ended.audited[0].entry.action).toBe('tenant.trial_extended');

    const active = harness({ stored: tenant({ status: 'ACTIVE' }) });
    await active.service.update('tenant-a', { extend_trial_days: 1 }, ORIGIN);
    expect(active.updates[0]).not.toHaveProperty('status');
  });

  it('names the action by the status asked for, suspensions and cancellations as warnings', async () => {
    for (const [status, action, severity] of [
      ['SUSPENDED', 'tenant.suspended', 'WARNING'],
      ['CANCELLED', 'tenant.cancelled', 'WARNING'],
      ['ACTIVE', 'tenant.reactivated', 'INFO'],
    ] as const) {
      const h = harness({ stored: tenant({ status: 'TRIAL' }) });
      await h.service.update('tenant-a', { status }, ORIGIN);
      expect(h.audited[0].entry).toMatchObject({ action, severity, oldValue: { status: 'TRIAL' }, newValue: { status } });
    }
  });

  it('refuses an empty change (400) and an unknown tenant (404), writing nothing', async () => {
    const h = harness({ stored: tenant() });
    expect((await refusal(h.service.update('tenant-a', { reason: 'only a reason' }, ORIGIN))).getStatus()).toBe(400);
    expect((await refusal(h.service.update('tenant-b', { status: 'SUSPENDED' }, ORIGIN))).getStatus()).toBe(404);
    expect(h.updates).toEqual([]);
    expect(h.audited).toEqual([]);
  });
});

describe('AdminTenantService.create', () => {
  it("creates an ACTIVE tenant with its plan's limits, or a TRIAL one for trial_days, audited under itself", async () => {
    const h = harness();
    await h.service.create({ organization_name: 'Acme', subdomain: 'acme', admin_email: 'ops@acme.example', plan: 'ENTERPRISE', tenant_id: 'acme-1' }, ORIGIN);
    expect(h.inserted[0]).toMatchObject({ tenantId: 'acme-1', status: 'ACTIVE', trialEndsAt: null, plan: 'ENTERPRISE', maxUsers: 1_000 });
    expect(h.transactions[0]).toEqual({ tenantId: 'acme-1' });
    expect(h.audited[0]).toMatchObject({ tenantId: 'acme-1', entry: { action: 'tenant.created', resourceId: 'acme-1' } });

    const trial = harness();
    await trial.service.create({ organization_name: 'Beta', subdomain: 'beta', admin_email: 'ops@beta.example', trial_days: 10 }, ORIGIN);
    expect(trial.inserted[0]).toMatchObject({ status: 'TRIAL', plan: 'STARTER', maxUsers: 5 });
    expect(trial.inserted[0].tenantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(trial.inserted[0].trialEndsAt!.getTime()).toBeGreaterThan(Date.now() + 9 * DAY);
  });

  it('answers 409 naming the taken value, and audits nothing', async () => {
    const h = harness({ conflict: 'subdomain' });
    const error = await refusal(h.service.create({ organization_name: 'Acme', subdomain: 'acme', admin_email: 'ops@acme.example' }, ORIGIN));
    expect(error.getStatus()).toBe(409);
    expect(error.message).toBe('a tenant with this subdomain already exists');
    expect(h.audited).toEqual([]);
  });
});

describe('AdminTenantService.isPristine', () => {
  it('is true only for the one tenant there is, while it has no API key and holds no data (a converted database does)', async () => {
    expect(await harness({ ids: ['demo'] }).service.isPristine('demo')).toBe(true);
    expect(await harness({ ids: ['demo'], hasKeys: true }).service.isPristine('demo')).toBe(false);
    expect(await harness({ ids: ['demo'], holdsData: true }).service.isPristine('demo')).toBe(false);
    expect(await harness({ ids: ['demo', 'other'] }).service.isPristine('demo')).toBe(false);
    expect(await harness({ ids: ['other'] }).service.isPristine('demo')).toBe(false);
    expect(await harness({ ids: [] }).service.isPristine('demo')).toBe(false);
  });
});
