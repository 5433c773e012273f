import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { INTEGRATOR_KEY_SCOPES, generateApiKey } from '../api-keys/api-key.token.js';
import { AuditWriter } from '../audit/audit.writer.js';
import { PasswordHasher } from '../auth/password.hasher.js';
import type { AuthContext } from '../common/auth-context.js';
import { NotFoundProblem, ProblemException, ValidationProblem } from '../common/problem.js';
import { authConfig } from '../config/auth.config.js';
import { CurrentTransaction } from '../database/current-transaction.js';
import { MailService } from '../mail/mail.service.js';
import { UserRepository } from '../users/user.repository.js';
import { PLANS, type Plan } from './plans.js';
import { adminFullNameOf, type SignupDto, type SignupView, type TenantUpdateDto, type TenantView, tenantView, type UsageView } from './tenant.dto.js';
import { TenantChanges, TenantConflict, TenantRepository } from './tenant.repository.js';

const TRIAL_DAYS = 14;
const MAX_SETTINGS_BYTES = 16 * 1024;

/** A unique value another organization holds: the subdomain (the admin e-mail is not unique). */
function taken(_what: TenantConflict, conflicts: TenantConflict[]): ProblemException {
  return new ProblemException(409, 'subdomain-taken', 'Subdomain taken', 'This subdomain is already taken', { conflicts });
}

/** The fields of TenantUpdateDto, as entity properties. */
const UPDATABLE = {
  organization_name: 'organizationName',
  admin_full_name: 'adminName',
  admin_email: 'adminEmail',
  admin_phone: 'adminPhone',
  settings: 'settings',
  ml_config: 'mlConfig',
} as const satisfies Record<string, keyof TenantChanges>;

/** Signup (public) and the caller's own organization: its profile, settings and usage. */
@Injectable()
export class TenantService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditWriter,
    private readonly mail: MailService,
    private readonly transaction: CurrentTransaction,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async getCurrent(auth: AuthContext): Promise<TenantView> {
    const tenant = await this.tenants.findById(auth.tenantId);
    if (!tenant) throw new NotFoundProblem('Tenant');
    return tenantView(tenant);
  }

  /**
   * Self-service signup, in the current transaction, which has no tenant until this sets it: the
   * tenant (TRIAL, 14 days, the plan's limits), its ADMIN user and a default API key, with audit
   * rows. The key is in this answer and nowhere else. The welcome e-mail goes out after COMMIT; its
   * failure cannot undo the signup. It goes to the admin e-mail, so whoever owns that address learns
   * of every organization created with it.
   */
  async signup(dto: SignupDto): Promise<SignupView> {
    if (!this.config.signupEnabled) {
      throw new ProblemException(403, 'signup-disabled', 'Signup disabled', 'Self-service signup is not open on this installation');
    }
    // Only the subdomain can be taken: an admin e-mail another organization uses is not refused
    // (that would tell anyone which addresses have an account); its owner gets the welcome mail.
    if (await this.tenants.subdomainTaken(dto.subdomain)) throw taken('subdomain', ['subdomain']);

    const plan: Plan = dto.plan ?? 'STARTER';
    const limits = PLANS[plan];
    const passwordHash = await this.hasher.hash(dto.admin_password);
    const tenantId = `tenant_${randomBytes(12).toString('base64url')}`;
    await this.transaction.setTenant(tenantId);

    const created = await this.tenants.create(
      {
        tenantId, organizationName: dto.organization_name, subdomain: dto.subdomain, plan,
        adminName: adminFullNameOf(dto)!, adminEmail: dto.admin_email, adminPhone: dto.admin_phone ?? null,
        maxUsers: limits.max_users, maxTransactionsPerMonth: limits.max_transactions_per_month, maxStorageGb: limits.max_storage_gb,
      },
      TRIAL_DAYS,
    );
    // A concurrent signup won the race between the check above and this insert.
    if ('conflict' in created) throw taken(created.conflict, [created.conflict]);
    const { tenant } = created;
    const admin = (await this.users.create(tenantId, { email: dto.admin_email, passwordHash, fullName: adminFullNameOf(dto)!, role: 'ADMIN' }))!;
    const issued = generateApiKey();
    const key = await this.tenants.createApiKey(tenantId, {
      keyName: 'Default key', keyHash: issued.hash, keyPrefix: issued.prefix, scopes: INTEGRATOR_KEY_SCOPES,
      rateLimitPerMinute: limits.default_key_rate_limit_per_minute, createdBy: admin.id,
    });

    await this.audit.record(undefined, { action: 'tenant.created', resourceType: 'tenant', resourceId: tenantId, userId: admin.id,
      newValue: { organization_name: tenant.organizationName, subdomain: tenant.subdomain, plan, status: tenant.status } });
    await this.audit.record(undefined, { action: 'user.created', resourceType: 'user', resourceId: admin.id, userId: admin.id,
      newValue: { email: admin.email, role: admin.role } });
    await this.audit.record(undefined, { action: 'api_key.created', resourceType: 'api_key', resourceId: key.id, userId: admin.id,
      newValue: { key_name: key.keyName, key_prefix: key.keyPrefix, scopes: key.scopes } });

    const host = `${tenant.subdomain}.${this.config.tenantBaseDomain}`;
    this.transaction.afterCommit(() =>
      this.mail.send({
        to: admin.email,
        subject: `Welcome to FraudGuard, ${tenant.organizationName}`,
        text:
          `Hello ${adminFullNameOf(dto)},\n\n${tenant.organizationName} is ready on FraudGuard at https://${host}.\n` +
          `Your trial runs until ${tenant.trialEndsAt!.toISOString().slice(0, 10)} on the ${plan} plan.\n\n` +
          `Log in with ${admin.email} (POST /api/v1/auth/login). Your default API key (prefix ${key.keyPrefix}) was shown once at signup;\n` +
          `keys are never sent by e-mail — an ADMIN can issue new ones under /api/v1/api-keys.\n`,
      }),
    );
    return {
      ...tenantView(tenant),
      api_key: issued.key,
      api_key_id: key.id,
      admin_user: { id: admin.id, email: admin.email, full_name: admin.fullName, role: admin.role },
    } satisfies SignupView;
  }

  /** The seed's TenantUpdate; the audit row holds the old and new value of every field that changed. */
  async update(auth: AuthContext, dto: TenantUpdateDto): Promise<TenantView> {
    if (dto.settings !== undefined && Buffer.byteLength(JSON.stringify(dto.settings)) > MAX_SETTINGS_BYTES) {
      throw new ValidationProblem([{ field: 'settings', message: `settings must be at most ${MAX_SETTINGS_BYTES} bytes of JSON` }]);
    }
    const found = await this.tenants.findByIdForUpdate(auth.tenantId);
    if (!found) throw new NotFoundProblem('Tenant');
    const before = tenantView(found);
    const changes: TenantChanges = {
      organizationName: dto.organization_name,
      adminName: adminFullNameOf(dto),
      adminEmail: dto.admin_email,
      adminPhone: dto.admin_phone,
      settings: dto.settings,
      mlConfig: dto.ml_config ? { ...dto.ml_config } : undefined,
    };
    const updated = await this.tenants.update(auth.tenantId, changes);
    if ('conflict' in updated) throw taken(updated.conflict, [updated.conflict]);
    const after = tenantView(updated.tenant!);

    const oldValue: Record<string, unknown> = {};
    const newValue: Record<string, unknown> = {};
    for (const [field, property] of Object.entries(UPDATABLE) as [keyof typeof UPDATABLE, keyof TenantChanges][]) {
      if (changes[property] === undefined) continue;
      if (JSON.stringify(before[field]) === JSON.stringify(after[field])) continue;
      oldValue[field] = before[field];
      newValue[field] = after[field];
    }
    if (Object.keys(newValue).length) {
      await this.audit.record(auth, { action: 'tenant.updated', resourceType: 'tenant', resourceId: after.tenant_id, oldValue, newValue });
    }
    return after;
  }

  async usage(auth: AuthContext): Promise<UsageView> {
    const row = await this.tenants.usage(auth.tenantId);
    if (!row) throw new NotFoundProblem('Tenant');
    const bytes = Number(row.storage_bytes);
    return {
      transactions_this_month: row.transactions_this_month,
      transactions_limit: row.max_transactions_per_month,
      transactions_percentage: row.max_transactions_per_month ? Math.round((row.transactions_this_month / row.max_transactions_per_month) * 10_000) / 100 : 0,
      active_users: row.active_users,
      users_limit: row.max_users,
      storage_used_bytes: bytes,
      storage_used_gb: Number((bytes / 1024 ** 3).toFixed(9)),
      storage_limit_gb: row.max_storage_gb,
    } satisfies UsageView;
  }
}
