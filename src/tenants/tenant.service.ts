import { Inject } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DEFAULT_KEY_SCOPES, generateApiKey } from '../api-keys/api-key.token.js';
import { ApiKeyRepository } from '../api-keys/api-key.repository.js';
import { AuditWriter } from '../audit/audit.writer.js';
import { PasswordHasher } from '../auth/password.hasher.js';
import { NotFoundProblem, ProblemException, ValidationProblem } from '../common/problem.js';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config.js';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';
import { MailService } from '../mail/mail.service.js';
import { UserRepository } from '../users/user.repository.js';
import { PLANS, type Plan } from './plans.js';
import type { SignupDto, TenantUpdateDto } from './tenant.dto.js';
import { TenantChanges, TenantRepository, TenantRow } from './tenant.repository.js';

const TRIAL_DAYS = 14;
const MAX_SETTINGS_BYTES = 16 * 1024;

function taken(what: 'subdomain' | 'admin_email', conflicts: string[]): ProblemException {
  return what === 'subdomain'
    ? new ProblemException(409, 'subdomain-taken', 'Subdomain taken', 'This subdomain is already taken', { conflicts })
    : new ProblemException(409, 'email-taken', 'E-mail taken', 'An organization with this admin e-mail already exists', { conflicts });
}

@RequestBound()
export class TenantService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly users: UserRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditWriter,
    private readonly mail: MailService,
    private readonly db: TenantConnection,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async getCurrent(): Promise<TenantRow> {
    const tenant = await this.tenants.findCurrent();
    if (!tenant) throw new NotFoundProblem('Tenant');
    return tenant;
  }

  /**
   * Self-service signup, in the request's one transaction: the tenant (TRIAL, 14 days, the plan's
   * limits), its ADMIN user and a default API key, with audit rows. The key is in this answer and
   * nowhere else. The welcome e-mail goes out after COMMIT; its failure cannot undo the signup.
   */
  async signup(dto: SignupDto) {
    if (!this.config.signupEnabled) {
      throw new ProblemException(403, 'signup-disabled', 'Signup disabled', 'Self-service signup is not open on this installation');
    }
    const conflicts = await this.tenants.signupConflicts(dto.subdomain, dto.admin_email);
    const names = [...(conflicts.subdomain_taken ? ['subdomain'] : []), ...(conflicts.email_taken ? ['admin_email'] : [])];
    if (conflicts.subdomain_taken) throw taken('subdomain', names);
    if (conflicts.email_taken) throw taken('admin_email', names);

    const plan: Plan = dto.plan ?? 'STARTER';
    const limits = PLANS[plan];
    const passwordHash = await this.hasher.hash(dto.admin_password);
    const tenantId = `tenant_${randomBytes(12).toString('base64url')}`;
    await this.db.tx.setTenant(tenantId);

    let tenant: TenantRow;
    try {
      tenant = await this.tenants.insert(
        {
          tenant_id: tenantId, organization_name: dto.organization_name, subdomain: dto.subdomain, plan,
          admin_name: dto.admin_name, admin_email: dto.admin_email, admin_phone: dto.admin_phone ?? null,
          max_users: limits.max_users, max_transactions_per_month: limits.max_transactions_per_month, max_storage_gb: limits.max_storage_gb,
        },
        TRIAL_DAYS,
      );
    } catch (error) {
      // A concurrent signup won the race between the check above and this insert.
      const constraint = (error as { constraint?: string }).constraint;
      if (constraint === 'tenants_subdomain_key') throw taken('subdomain', ['subdomain']);
      if (constraint === 'tenants_admin_email_key') throw taken('admin_email', ['admin_email']);
      throw error;
    }
    const admin = await this.users.insert({ email: dto.admin_email, password_hash: passwordHash, full_name: dto.admin_name, role: 'ADMIN' });
    const issued = generateApiKey();
    const key = await this.apiKeys.insert(tenantId, {
      keyName: 'Default key', keyHash: issued.hash, keyPrefix: issued.prefix, scopes: [...DEFAULT_KEY_SCOPES],
      rateLimitPerMinute: limits.default_key_rate_limit_per_minute, expiresAt: null, createdBy: admin.id,
    });

    await this.audit.record({ action: 'tenant.created', resourceType: 'tenant', resourceId: tenantId, userId: admin.id,
      newValue: { organization_name: tenant.organization_name, subdomain: tenant.subdomain, plan, status: tenant.status } });
    await this.audit.record({ action: 'user.created', resourceType: 'user', resourceId: admin.id, userId: admin.id,
      newValue: { email: admin.email, role: admin.role } });
    await this.audit.record({ action: 'api_key.created', resourceType: 'api_key', resourceId: key.id, userId: admin.id,
      newValue: { key_name: key.keyName, key_prefix: key.keyPrefix, scopes: key.scopes } });

    const host = `${tenant.subdomain}.${this.config.tenantBaseDomain}`;
    this.db.tx.afterCommit(() =>
      this.mail.send({
        to: admin.email,
        subject: `Welcome to FraudGuard, ${tenant.organization_name}`,
        text:
          `Hello ${dto.admin_name},\n\n${tenant.organization_name} is ready on FraudGuard at https://${host}.\n` +
          `Your trial runs until ${new Date(tenant.trial_ends_at!).toISOString().slice(0, 10)} on the ${plan} plan.\n\n` +
          `Log in with ${admin.email} (POST /api/v1/auth/login). Your default API key (prefix ${key.keyPrefix}) was shown once at signup;\n` +
          `keys are never sent by e-mail — an ADMIN can issue new ones under /api/v1/api-keys.\n`,
      }),
    );
    return {
      ...tenant,
      api_key: issued.key,
      api_key_id: key.id,
      admin_user: { id: admin.id, email: admin.email, full_name: admin.full_name, role: admin.role },
    };
  }

  /** The seed's TenantUpdate; the audit row holds the old and new value of every field that changed. */
  async update(dto: TenantUpdateDto): Promise<TenantRow> {
    if (dto.settings !== undefined && Buffer.byteLength(JSON.stringify(dto.settings)) > MAX_SETTINGS_BYTES) {
      throw new ValidationProblem([{ field: 'settings', message: `settings must be at most ${MAX_SETTINGS_BYTES} bytes of JSON` }]);
    }
    const before = await this.tenants.findCurrentForUpdate();
    if (!before) throw new NotFoundProblem('Tenant');
    const changes: TenantChanges = {
      organization_name: dto.organization_name,
      admin_name: dto.admin_name,
      admin_email: dto.admin_email,
      admin_phone: dto.admin_phone,
      settings: dto.settings,
      ml_config: dto.ml_config ? { ...dto.ml_config } : undefined,
    };
    let after: TenantRow;
    try {
      after = await this.tenants.update(changes);
    } catch (error) {
      if ((error as { constraint?: string }).constraint === 'tenants_admin_email_key') throw taken('admin_email', ['admin_email']);
      throw error;
    }
    const oldValue: Record<string, unknown> = {};
    const newValue: Record<string, unknown> = {};
    for (const field of Object.keys(changes) as (keyof TenantChanges)[]) {
      if (changes[field] === undefined) continue;
      if (JSON.stringify(before[field]) === JSON.stringify(after[field])) continue;
      oldValue[field] = before[field];
      newValue[field] = after[field];
    }
    if (Object.keys(newValue).length) {
      await this.audit.record({ action: 'tenant.updated', resourceType: 'tenant', resourceId: after.tenant_id, oldValue, newValue });
    }
    return after;
  }

  async usage() {
    const row = await this.tenants.usage();
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
    };
  }
}
