import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { AdminTenantService, UnknownTenantError } from '../admin/admin-tenant.service.js';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import { INTEGRATOR_KEY_SCOPES } from '../api-keys/api-key.token.js';
import { passwordProblem } from '../auth/password.policy.js';
import type { AuthContext } from '../common/auth-context.js';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { UserService } from '../users/user.service.js';
import { DEFAULT_TENANT_ID } from './default-tenant.js';

/** The demo tenant's ADMIN: the e-mail and name the seed gives the default tenant's administrator. */
export const DEMO_ADMIN = { email: 'admin@demo.com', fullName: 'Demo Admin' } as const;

export interface DemoCredentials {
  apiKey: string;
  /** The demo ADMIN's login; only outside production. */
  login?: { email: string; password: string };
}

/** A password the API's policy accepts, shown once. */
function generatePassword(): string {
  for (;;) {
    const password = `Demo-${randomBytes(12).toString('base64url')}1`;
    if (passwordProblem(password) === undefined) return password;
  }
}

/**
 * A newcomer's first `npm start`: when the only tenant is the seed's default one and it has no API
 * key yet (asked through the operators' door, the one that sees across tenants), issue one with the
 * integrator flow's scopes through ApiKeyService under that tenant — as the app role and audited
 * like any other key — and, when `login` is asked for (development), an ADMIN user through
 * UserService, so the bearer flow can be tried too. Both are returned to be printed once.
 */
@Injectable()
export class DemoApiKeyIssuer {
  constructor(
    private readonly tenants: AdminTenantService,
    private readonly apiKeys: ApiKeyService,
    private readonly users: UserService,
    private readonly txHost: TransactionHost<TenantTransactionAdapter>,
  ) {}

  async issue(options: { login: boolean }): Promise<DemoCredentials | undefined> {
    if (!(await this.tenants.isPristine(DEFAULT_TENANT_ID))) return undefined;
    const operator: AuthContext = {
      tenantId: DEFAULT_TENANT_ID,
      via: 'operator',
      role: 'ADMIN',
      operator: { actor: { operator: 'fraudguard', via: 'demo-api-key' }, userAgent: 'fraudguard-start', requestId: `start-${randomUUID()}` },
    };
    return this.txHost.withTransaction({ tenantId: DEFAULT_TENANT_ID }, async () => {
      const issued = await this.apiKeys.create(operator, { key_name: 'Demo key', scopes: [...INTEGRATOR_KEY_SCOPES] });
      if (!options.login) return { apiKey: issued.key };
      const password = generatePassword();
      await this.users.create(operator, { email: DEMO_ADMIN.email, password, full_name: DEMO_ADMIN.fullName, role: 'ADMIN' });
      return { apiKey: issued.key, login: { email: DEMO_ADMIN.email, password } };
    });
  }

  /** Whether the demo tenant exists: later starts then say how to get another key for it. */
  async demoTenantExists(): Promise<boolean> {
    try {
      await this.tenants.assertExists(DEFAULT_TENANT_ID);
      return true;
    } catch (error) {
      if (error instanceof UnknownTenantError) return false;
      throw error;
    }
  }
}
