import { cursorTime } from '../common/sql-time.js';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';
import type { AccountStatus, AccountView, CreateAccountDto } from './account.dto.js';

const ACCOUNT_COLUMNS = `id, external_ref, holder_name, country, status, created_at, updated_at`;

export interface AccountListFilter {
  status?: AccountStatus;
  external_ref?: string;
  after?: [string, string];
  limit: number;
}

@RequestBound()
export class AccountRepository {
  constructor(private readonly db: TenantConnection) {}

  /** The new account, or undefined when the tenant already has one with this external_ref. */
  async create(dto: CreateAccountDto): Promise<AccountView | undefined> {
    const rows = await this.db.query<AccountView>(
      `INSERT INTO accounts (tenant_id, external_ref, holder_name, country, status)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, external_ref) DO NOTHING
       RETURNING ${ACCOUNT_COLUMNS}`,
      [this.db.tenantId, dto.external_ref, dto.holder_name ?? null, dto.country ?? null, dto.status ?? 'ACTIVE'],
    );
    return rows[0];
  }

  async findById(id: string): Promise<AccountView | undefined> {
    const rows = await this.db.query<AccountView>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE tenant_id = $1 AND id = $2`, [this.db.tenantId, id]);
    return rows[0];
  }

  /** Newest first, keyset on (created_at DESC, id DESC); rows carry `cursor_time` for the cursor. */
  async list(filter: AccountListFilter): Promise<Array<AccountView & { cursor_time: string }>> {
    const params: unknown[] = [this.db.tenantId];
    const where = ['tenant_id = $1'];
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.external_ref) where.push(`external_ref = $${params.push(filter.external_ref)}`);
    if (filter.after) {
      where.push(`(created_at, id) < ($${params.push(filter.after[0])}::timestamptz, $${params.push(filter.after[1])}::uuid)`);
    }
    return this.db.query(
      `SELECT ${ACCOUNT_COLUMNS}, ${cursorTime('created_at')} AS cursor_time
         FROM accounts WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $${params.push(filter.limit + 1)}`,
      params,
    );
  }
}
