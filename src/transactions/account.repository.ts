import { Injectable } from '@nestjs/common';
import { cursorTime } from '../common/keyset.js';
import { TenantConnection } from '../database/tenant-connection.js';
import type { AccountStatus, AccountView, CreateAccountDto } from './account.dto.js';

const ACCOUNT_COLUMNS = `id, external_ref, holder_name, country, status, created_at, updated_at`;

export interface AccountListFilter {
  status?: AccountStatus;
  external_ref?: string;
  after?: [string, string];
  limit: number;
}

@Injectable()
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

  /** Which of these ids are accounts of the tenant. */
  async existingIds(ids: string[]): Promise<Set<string>> {
    const rows = await this.db.query<{ id: string }>(`SELECT id FROM accounts WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [this.db.tenantId, ids]);
    return new Set(rows.map((row) => row.id));
  }

  /**
   * external_ref → id, creating the accounts that do not exist yet, in one statement: the rows it
   * inserts plus the ones that existed when it started. Race-safe: a concurrent request creating
   * the same ref makes our INSERT wait, then skip it (ON CONFLICT DO NOTHING); such a ref, committed
   * after our statement's snapshot, is then read by a second SELECT. Refs are inserted in sorted
   * order so two batches sharing refs cannot deadlock.
   */
  async resolveRefs(refs: string[]): Promise<Map<string, string>> {
    const sorted = [...new Set(refs)].sort();
    const rows = await this.db.query<{ id: string; external_ref: string }>(
      `WITH inserted AS (
         INSERT INTO accounts (tenant_id, external_ref)
         SELECT $1, ref FROM unnest($2::varchar[]) AS r(ref) ORDER BY ref
         ON CONFLICT (tenant_id, external_ref) DO NOTHING
         RETURNING id, external_ref)
       SELECT id, external_ref FROM inserted
       UNION ALL
       SELECT id, external_ref FROM accounts WHERE tenant_id = $1 AND external_ref = ANY($2::varchar[])`,
      [this.db.tenantId, sorted],
    );
    const byRef = new Map(rows.map((row) => [row.external_ref, row.id]));
    const missing = sorted.filter((ref) => !byRef.has(ref));
    if (missing.length) {
      const late = await this.db.query<{ id: string; external_ref: string }>(
        `SELECT id, external_ref FROM accounts WHERE tenant_id = $1 AND external_ref = ANY($2::varchar[])`,
        [this.db.tenantId, missing],
      );
      for (const row of late) byRef.set(row.external_ref, row.id);
    }
    return byRef;
  }
}
