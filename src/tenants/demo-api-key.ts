import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AdminTenantService } from '../admin/admin-tenant.service.js';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import { DEFAULT_KEY_SCOPES } from '../api-keys/api-key.token.js';
import type { AuthContext } from '../common/auth-context.js';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { DEFAULT_TENANT_ID } from './default-tenant.js';

/**
 * A newcomer's first `npm start`: when the only tenant is the seed's default one and it has no API
 * key yet (asked through the operators' door, the one that sees across tenants), issue one through
 * ApiKeyService under that tenant, as the app role and audited like any other key, and return it
 * so it can be printed once.
 */
@Injectable()
export class DemoApiKeyIssuer {
  constructor(
    private readonly tenants: AdminTenantService,
    private readonly apiKeys: ApiKeyService,
    private readonly txHost: TransactionHost<TenantTransactionAdapter>,
  ) {}

  async issue(): Promise<string | undefined> {
    if (!(await this.tenants.isPristine(DEFAULT_TENANT_ID))) return undefined;
    const operator: AuthContext = {
      tenantId: DEFAULT_TENANT_ID,
      via: 'operator',
      role: 'ADMIN',
      operator: { actor: { operator: 'fraudguard', via: 'demo-api-key' }, userAgent: 'fraudguard-start', requestId: `start-${randomUUID()}` },
    };
    const issued = await this.txHost.withTransaction({ tenantId: DEFAULT_TENANT_ID }, () =>
      this.apiKeys.create(operator, { key_name: 'Demo key', scopes: [...DEFAULT_KEY_SCOPES] }),
    );
    return issued.key;
  }
}
