import { jest } from '@jest/globals';
import { hashApiKey } from '../api-keys/api-key.token.js';
import type { AuditEntry } from '../audit/audit.entry.js';
import type { AuditWriter } from '../audit/audit.writer.js';
import type { PasswordHasher } from '../auth/password.hasher.js';
import type { AuthContext } from '../common/auth-context.js';
import { ProblemException } from '../common/problem.js';
import { authConfig } from '../config/auth.config.js';
import type { CurrentTransaction } from '../database/current-transaction.js';
import type { MailService } from '../mail/mail.service.js';
import type { NewUser, UserRepository } from '../users/user.repository.js';
import { User } from '../users/user.entity.js';
import type { SignupDto } from './tenant.dto.js';
import { Tenant } from './tenant.entity.js';
import type { NewTenant, SignupApiKey, TenantChanges, TenantConflict, TenantRepository, UsageRow } from './tenant.repository.js';
import { TenantService } from './tenant.service.js';

/** The tenants table as one transaction sees it, plus what signup writes beside it. */
class FakeTenantRepository implements Partial<Record<keyof TenantRepository, unknown>> {
  subdomainIsTaken = false;
  /** What the insert finds taken by a concurrent signup that won the race. */
  raceLost?: TenantConflict;
  tenants: Tenant[] = [];
  created: Array<{ tenant: NewTenant; trialDays: number }> = [];
  keys: Array<SignupApiKey & { tenantId: string }> = [];
  usageRow?: UsageRow;

  async subdomainTaken() {
    return this.subdomainIsTaken;
  }
  async create(tenant: NewTenant, trialDays: number) {
    if (this.raceLost) return { conflict: this.raceLost };
    this.created.push({ tenant, trialDays });
    const row = Object.assign(new Tenant(), {
      ...tenant, status: 'TRIAL', settings: {}, mlConfig: { risk_threshold: 0.7 }, stripeCustomerId: null, billingEmail: null,
      createdAt: new Date('2026-01-01T00:00:00Z'), updatedAt: new Date('2026-01-01T00:00:00Z'), trialEndsAt: new Date('2026-01-15T00:00:00Z'),
    });
    this.tenants.push(row);
    return { tenant: row };
  }
  async createApiKey(tenantId: string, key: SignupApiKey) {
    this.keys.push({ tenantId, ...key });
    return { id: this.keys.length, tenantId, keyName: key.keyName, keyPrefix: key.keyPrefix, scopes: [...key.scopes] };
  }
  async findById(tenantId: string) {
    const tenant = this.tenants.find((row) => row.tenantId === tenantId);
    return tenant ? Object.assign(new Tenant(), tenant) : null;
  }
  async findByIdForUpdate(tenantId: string) {
    return this.findById(tenantId);
  }
  async update(tenantId: string, changes: TenantChanges) {
    const tenant = this.tenants.find((row) => row.tenantId === tenantId)!;
    const { mlConfig, ...replaced } = changes;
    for (const [key, value] of Object.entries(replaced)) if (value !== undefined) Object.assign(tenant, { [key]: value });
    if (mlConfig) tenant.mlConfig = { ...tenant.mlConfig, ...mlConfig };
    return { tenant: await this.findById(tenantId) };
  }
  async usage() {
    return this.usageRow;
  }
}

describe('TenantService', () => {
  let tenants: FakeTenantRepository;
  let users: Array<NewUser & { tenantId: string }>;
  let transaction: { tenants: string[]; afterCommitTasks: Array<() => unknown>; setTenant(id: string): Promise<void>; afterCommit(task: () => unknown): void };
  let audit: { record: jest.Mock<(auth: AuthContext | undefined, entry: AuditEntry) => Promise<void>> };
  let mail: { send: jest.Mock<(mail: { to: string; subject: string; text: string }) => Promise<void>> };

  const service = (env: Record<string, string> = {}) =>
    new TenantService(
      tenants as unknown as TenantRepository,
      {
        create: async (tenantId: string, user: NewUser) => {
          users.push({ tenantId, ...user });
          return Object.assign(new User(), { tenantId, id: users.length, ...user });
        },
      } as unknown as UserRepository,
      { hash: async (password: string) => `hash:${password}` } as unknown as PasswordHasher,
      audit as unknown as AuditWriter,
      mail as unknown as MailService,
      transaction as unknown as CurrentTransaction,
      authConfig(env),
    );

  beforeEach(() => {
    tenants = new FakeTenantRepository();
    users = [];
    transaction = {
      tenants: [],
      afterCommitTasks: [],
      async setTenant(id) {
        this.tenants.push(id);
      },
      afterCommit(task) {
        this.afterCommitTasks.push(task);
      },
    };
    audit = { record: jest.fn(async () => undefined) };
    mail = { send: jest.fn(async () => undefined) };
  });

  const refusal = async (work: Promise<unknown>) => {
    const error = await work.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProblemException);
    const problem = error as ProblemException;
    return { status: problem.getStatus(), slug: problem.slug, ...problem.extensions };
  };

  const signup: SignupDto = {
    organization_name: 'Acme Payments', subdomain: 'acme', admin_full_name: 'Ada', admin_email: 'ada@acme.example', admin_password: 'Signup-Password-1', plan: 'PROFESSIONAL',
  };

  describe('signup', () => {
    it('creates a TRIAL tenant with the plan limits under its own new tenant, its ADMIN and a default key, audited in that order', async () => {
      const answer = await service().signup(signup);
      const tenantId = tenants.created[0].tenant.tenantId;
      expect(tenantId).toMatch(/^tenant_[A-Za-z0-9_-]{16}$/);
      expect(transaction.tenants).toEqual([tenantId]);
      expect(tenants.created[0]).toEqual({
        trialDays: 14,
        tenant: {
          tenantId, organizationName: 'Acme Payments', subdomain: 'acme', plan: 'PROFESSIONAL', adminName: 'Ada', adminEmail: 'ada@acme.example',
          adminPhone: null, maxUsers: 25, maxTransactionsPerMonth: 1_000_000, maxStorageGb: 100,
        },
      });
      expect(users).toEqual([{ tenantId, email: 'ada@acme.example', passwordHash: 'hash:Signup-Password-1', fullName: 'Ada', role: 'ADMIN' }]);
      expect(tenants.keys).toEqual([expect.objectContaining({
        tenantId, keyName: 'Default key', scopes: ['read:transactions', 'write:transactions', 'read:accounts', 'write:accounts', 'read:alerts', 'write:alerts', 'read:audit'], rateLimitPerMinute: 1_000, createdBy: 1,
      })]);
      expect(hashApiKey(answer.api_key)).toBe(tenants.keys[0].keyHash);
      expect(answer).toMatchObject({ tenant_id: tenantId, status: 'TRIAL', max_users: 25, api_key_id: 1, admin_user: { id: 1, email: 'ada@acme.example', full_name: 'Ada', role: 'ADMIN' } });
      expect(audit.record.mock.calls.map(([auth, entry]) => [auth, entry.action, entry.userId])).toEqual([
        [undefined, 'tenant.created', 1],
        [undefined, 'user.created', 1],
        [undefined, 'api_key.created', 1],
      ]);
    });

    it('sends the welcome mail only after COMMIT, and never the key', async () => {
      const answer = await service().signup(signup);
      expect(mail.send).not.toHaveBeenCalled();
      await Promise.all(transaction.afterCommitTasks.map((task) => task()));
      expect(mail.send).toHaveBeenCalledTimes(1);
      const sent = mail.send.mock.calls[0][0];
      expect(sent).toMatchObject({ to: 'ada@acme.example', subject: 'Welcome to FraudGuard, Acme Payments' });
      expect(sent.text).toContain('until 2026-01-15 on the PROFESSIONAL plan');
      expect(sent.text).not.toContain(answer.api_key);
    });

    it('starts on STARTER when no plan is given', async () => {
      await service().signup({ ...signup, plan: undefined });
      expect(tenants.created[0].tenant).toMatchObject({ plan: 'STARTER', maxUsers: 5 });
      expect(tenants.keys[0].rateLimitPerMinute).toBe(100);
    });

    it('answers 409 for a taken subdomain, before touching any tenant', async () => {
      tenants.subdomainIsTaken = true;
      expect(await refusal(service().signup(signup))).toEqual({ status: 409, slug: 'subdomain-taken', conflicts: ['subdomain'] });
      expect(transaction.tenants).toEqual([]);
      expect(tenants.created).toEqual([]);
    });

    it('answers the same 409 when a concurrent signup wins the race to the insert, and creates nothing else', async () => {
      tenants.raceLost = 'subdomain';
      expect(await refusal(service().signup(signup))).toEqual({ status: 409, slug: 'subdomain-taken', conflicts: ['subdomain'] });
      expect(users).toEqual([]);
      expect(audit.record).not.toHaveBeenCalled();
    });

    it('is refused (403 signup-disabled) with SIGNUP_ENABLED=false, before any look-up', async () => {
      tenants.subdomainIsTaken = true;
      expect(await refusal(service({ SIGNUP_ENABLED: 'false' }).signup(signup))).toEqual({ status: 403, slug: 'signup-disabled' });
    });
  });

  describe('the caller organization', () => {
    const admin: AuthContext = { tenantId: 'tenant_a', via: 'jwt', userId: 1, role: 'ADMIN' };

    beforeEach(async () => {
      await service().signup(signup);
      tenants.tenants[0].tenantId = 'tenant_a';
      audit.record.mockClear();
    });

    it('audits only the fields whose stored value changed, with old and new values; ml_config is merged', async () => {
      const after = await service().update(admin, { organization_name: 'Acme Payments', admin_full_name: 'Ada Lovelace', ml_config: { auto_block: true } });
      expect(after).toMatchObject({ admin_full_name: 'Ada Lovelace', ml_config: { risk_threshold: 0.7, auto_block: true } });
      expect(audit.record).toHaveBeenCalledWith(admin, {
        action: 'tenant.updated', resourceType: 'tenant', resourceId: 'tenant_a',
        oldValue: { admin_full_name: 'Ada', ml_config: { risk_threshold: 0.7 } },
        newValue: { admin_full_name: 'Ada Lovelace', ml_config: { risk_threshold: 0.7, auto_block: true } },
      });
      audit.record.mockClear();
      await service().update(admin, { organization_name: 'Acme Payments' });
      expect(audit.record).not.toHaveBeenCalled();
    });

    it('refuses settings over 16 KiB of JSON (400)', async () => {
      expect(await refusal(service().update(admin, { settings: { blob: 'x'.repeat(16 * 1024) } }))).toMatchObject({ status: 400, slug: 'validation-error' });
    });

    it('reports usage against the plan: percentage to two decimals, storage in bytes and GB', async () => {
      tenants.usageRow = { transactions_this_month: 12_345, active_users: 3, max_transactions_per_month: 50_000, max_users: 5, max_storage_gb: 10, storage_bytes: '1073741824' };
      expect(await service().usage(admin)).toEqual({
        transactions_this_month: 12_345, transactions_limit: 50_000, transactions_percentage: 24.69, active_users: 3, users_limit: 5,
        storage_used_bytes: 1_073_741_824, storage_used_gb: 1, storage_limit_gb: 10,
      });
      tenants.usageRow = { ...tenants.usageRow, max_transactions_per_month: 0 };
      expect((await service().usage(admin)).transactions_percentage).toBe(0);
    });
  });
});
