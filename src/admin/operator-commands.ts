import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import type { CreateApiKeyDto, IssuedApiKeyView } from '../api-keys/api-key.dto.js';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import type { AuditOrigin } from '../audit/audit.entry.js';
import type { AuthContext, OperatorOrigin } from '../common/auth-context.js';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import type { CreateUserDto, UserView } from '../users/user.dto.js';
import { UserService } from '../users/user.service.js';
import type { CreateTenantDto } from './admin-tenant.dto.js';
import { AdminTenantService, TENANT_STATUSES } from './admin-tenant.service.js';
import type { TenantWithUsage } from './platform-tenant.repository.js';

type TenantStatus = (typeof TENANT_STATUSES)[number];

export interface AuditChainReport {
  tenant_id: string;
  valid: boolean;
  checked: number;
  first_broken_id: string | null;
}

function auditOrigin(operator: OperatorOrigin): AuditOrigin {
  return { userId: null, ipAddress: null, userAgent: operator.userAgent, requestId: operator.requestId, actor: operator.actor };
}

/**
 * What the CLI's commands do, on the application's own services: cross-tenant work through the
 * operators' service (AdminTenantService, the platform door), a tenant's users and keys through
 * that tenant's services (UserService, ApiKeyService) in a tenant transaction as the app role, the
 * operator as an ADMIN caller. So the CLI creates nothing the API would refuse, and every change
 * lands in the tenant's audit trail with the operator as its actor.
 */
@Injectable()
export class OperatorCommands {
  constructor(
    private readonly tenants: AdminTenantService,
    private readonly users: UserService,
    private readonly apiKeys: ApiKeyService,
    private readonly txHost: TransactionHost<TenantTransactionAdapter>,
  ) {}

  createTenant(operator: OperatorOrigin, dto: CreateTenantDto): Promise<TenantWithUsage> {
    return this.tenants.create(dto, auditOrigin(operator));
  }

  /** Every tenant (with usage), page after page. */
  async listTenants(status?: TenantStatus): Promise<TenantWithUsage[]> {
    const all: TenantWithUsage[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.tenants.list({ limit: 100, starting_after: cursor, status });
      all.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return all;
  }

  setStatus(operator: OperatorOrigin, tenantId: string, status: 'SUSPENDED' | 'ACTIVE', reason?: string): Promise<TenantWithUsage> {
    return this.tenants.update(tenantId, { status, reason }, auditOrigin(operator));
  }

  createUser(operator: OperatorOrigin, tenantId: string, dto: CreateUserDto): Promise<UserView> {
    return this.inTenant(operator, tenantId, (auth) => this.users.create(auth, dto));
  }

  createApiKey(operator: OperatorOrigin, tenantId: string, dto: CreateApiKeyDto): Promise<IssuedApiKeyView> {
    return this.inTenant(operator, tenantId, (auth) => this.apiKeys.create(auth, dto));
  }

  /** The audit chain of each tenant given, or of every tenant; an unknown tenant is an error. */
  async verifyAudit(tenantIds: string[] | 'all'): Promise<AuditChainReport[]> {
    const ids = tenantIds === 'all' ? (await this.listTenants()).map((tenant) => tenant.tenant_id) : tenantIds;
    const reports: AuditChainReport[] = [];
    for (const tenantId of ids) {
      if (tenantIds !== 'all') await this.tenants.assertExists(tenantId);
      reports.push(await this.tenants.verifyAudit(tenantId));
    }
    return reports;
  }

  /** A tenant service's work in a transaction under the tenant, as the app role, with the operator as an ADMIN caller. */
  private async inTenant<T>(operator: OperatorOrigin, tenantId: string, work: (auth: AuthContext) => Promise<T>): Promise<T> {
    await this.tenants.assertExists(tenantId);
    const auth: AuthContext = { tenantId, via: 'operator', role: 'ADMIN', operator };
    return this.txHost.withTransaction({ tenantId }, () => work(auth));
  }
}
