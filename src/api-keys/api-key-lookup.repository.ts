import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface ApiKeyRecord {
  key_id: number;
  tenant_id: string;
  key_prefix: string;
  scopes: string[] | null;
  rate_limit_per_minute: number | null;
  is_active: boolean;
  expires_at: Date | null;
  tenant_status: string;
  trial_ends_at: Date | null;
  plan: string;
}

/**
 * Key hash → key and tenant, before any tenant is known: through the SECURITY DEFINER function
 * fg_api_key_lookup, outside any request transaction.
 */
@Injectable()
export class ApiKeyLookupRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const rows: ApiKeyRecord[] = await this.dataSource.query('SELECT * FROM fg_api_key_lookup($1)', [hash]);
    return rows[0];
  }
}
