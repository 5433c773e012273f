import { Injectable } from '@nestjs/common';
import { TenantConnection } from '../database/tenant-connection.js';

export interface TenantRow {
  tenant_id: string;
  organization_name: string;
  subdomain: string;
  plan: string;
  status: string;
  settings: Record<string, unknown>;
  ml_config: Record<string, unknown>;
  max_users: number;
  max_transactions_per_month: number;
  max_storage_gb: number;
  stripe_customer_id: string | null;
  billing_email: string | null;
  created_at: Date;
  updated_at: Date;
  trial_ends_at: Date | null;
  admin_name: string | null;
  admin_email: string;
  admin_phone: string | null;
}

export const TENANT_COLUMNS = `tenant_id, organization_name, subdomain, plan, status, settings, ml_config,
  max_users, max_transactions_per_month, max_storage_gb, stripe_customer_id, billing_email,
  created_at, updated_at, trial_ends_at, admin_name, admin_email, admin_phone`;

@Injectable()
export class TenantRepository {
  constructor(private readonly db: TenantConnection) {}

  async findCurrent(): Promise<TenantRow | undefined> {
    const rows = await this.db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE tenant_id = $1`, [this.db.tenantId]);
    return rows[0];
  }
}
