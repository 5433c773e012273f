import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface Principal {
  role: string;
  is_active: boolean;
  tenant_status: string;
  trial_ends_at: Date | null;
  plan: string;
}

export interface SubdomainTenant {
  tenant_id: string;
  status: string;
  trial_ends_at: Date | null;
}

/**
 * The guards' questions, asked before a tenant is known and before the request's transaction
 * exists: each through its narrow SECURITY DEFINER function (migrations 0003 and 0010).
 */
@Injectable()
export class AuthLookupRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async principal(tenantId: string, userId: number): Promise<Principal | undefined> {
    const rows: Principal[] = await this.dataSource.query('SELECT * FROM fg_auth_principal($1, $2)', [tenantId, userId]);
    return rows[0];
  }

  async tenantBySubdomain(subdomain: string): Promise<SubdomainTenant | undefined> {
    const rows: SubdomainTenant[] = await this.dataSource.query('SELECT * FROM fg_tenant_by_subdomain($1)', [subdomain]);
    return rows[0];
  }
}
