import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** An organization a rate-limited target belongs to, and the user it names (for an e-mail). */
export interface TargetOwner {
  tenant_id: string;
  user_id: number | null;
}

/**
 * Whose audit trail a refused public request goes to: the accounts of an e-mail, or the tenant of
 * a subdomain. Asked before any tenant is known (guards run before the request's transaction),
 * through the narrow SECURITY DEFINER look-ups, on a pooled app-role connection.
 */
@Injectable()
export class RateLimitTargetRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  owners(target: { kind: 'email' | 'subdomain'; value: string }): Promise<TargetOwner[]> {
    return target.kind === 'email'
      ? this.dataSource.query('SELECT tenant_id, user_id FROM fg_account_lookup($1, NULL)', [target.value])
      : this.dataSource.query('SELECT tenant_id, NULL::integer AS user_id FROM fg_tenant_by_subdomain($1)', [target.value]);
  }
}
