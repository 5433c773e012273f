import { decodeCursor } from '../common/pagination.js';
import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import type { AuditLogQuery, AuditLogView } from './audit.dto.js';
import { VERIFY_CHAIN_SQL } from './audit.entry.js';

/** A row as the API shows it (AuditLogView), in JSON, CSV and NDJSON alike. */
export type AuditLogRow = AuditLogView;

export const AUDIT_COLUMNS = [
  'id', 'created_at', 'user_id', 'action', 'resource_type', 'resource_id', 'ip_address', 'user_agent',
  'request_id', 'old_value', 'new_value', 'severity', 'prev_hash', 'hash',
] as const;

const SELECT_COLUMNS = `id::text AS id, to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
  user_id, action, resource_type, resource_id, host(ip_address) AS ip_address, user_agent, request_id,
  old_value, new_value, severity, prev_hash, hash`;

const EXPORT_BATCH = 500;

/**
 * The audit trail's reads. Hand-written SQL: a keyset page, a server-side cursor for exports and
 * the chain walk, all shaped for idx_audit_logs_tenant_id (the trail is the biggest table a tenant has).
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  private get manager(): EntityManager {
    return this.txHost.tx;
  }

  /** WHERE clause and parameters for the filters; $1 is always the tenant. */
  private where(tenantId: string, query: AuditLogQuery): { sql: string; params: unknown[] } {
    const params: unknown[] = [tenantId];
    const clauses = ['a.tenant_id = $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      clauses.push(sql.replace('?', `$${params.length}`));
    };
    if (query.action !== undefined) add('a.action = ?', query.action);
    if (query.resource_type !== undefined) add('a.resource_type = ?', query.resource_type);
    if (query.resource_id !== undefined) add('a.resource_id = ?', query.resource_id);
    if (query.user_id !== undefined) add('a.user_id = ?', query.user_id);
    if (query.from !== undefined) add('a.timestamp >= ?::timestamptz', query.from);
    if (query.to !== undefined) add('a.timestamp < ?::timestamptz', query.to);
    return { sql: clauses.join(' AND '), params };
  }

  /** Newest first, keyset on id; fetches limit + 1 so the caller knows whether there is more. */
  async list(tenantId: string, query: AuditLogQuery, limit: number): Promise<AuditLogRow[]> {
    const { sql, params } = this.where(tenantId, query);
    const cursor = decodeCursor('audit-logs', query.starting_after, 1);
    let keyset = '';
    if (cursor) {
      if (!/^\d{1,19}$/.test(String(cursor[0]))) return [];
      params.push(String(cursor[0]));
      keyset = ` AND a.id < $${params.length}::bigint`;
    }
    params.push(limit + 1);
    return this.manager.query(
      `SELECT ${SELECT_COLUMNS} FROM audit_logs a WHERE ${sql}${keyset} ORDER BY a.id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /**
   * Every matching row, newest first, in batches through a server-side cursor on the request's own
   * connection and transaction: memory stays at one batch whatever the trail's size.
   * `consume` may await (back-pressure) and return false to stop early (client gone).
   */
  async forEachBatch(tenantId: string, query: AuditLogQuery, consume: (rows: AuditLogRow[]) => Promise<boolean>): Promise<void> {
    const { sql, params } = this.where(tenantId, query);
    await this.manager.query(`DECLARE audit_export NO SCROLL CURSOR FOR SELECT ${SELECT_COLUMNS} FROM audit_logs a WHERE ${sql} ORDER BY a.id DESC`, params);
    try {
      for (;;) {
        const rows: AuditLogRow[] = await this.manager.query(`FETCH ${EXPORT_BATCH} FROM audit_export`);
        if (rows.length === 0) break;
        if (!(await consume(rows))) break;
        if (rows.length < EXPORT_BATCH) break;
      }
    } finally {
      await this.manager.query('CLOSE audit_export').catch(() => undefined);
    }
  }

  /** Checks the tenant's hash chain in PostgreSQL (see VERIFY_CHAIN_SQL). */
  async verifyChain(tenantId: string): Promise<{ checked: number; first_broken_id: string | null; pending: number }> {
    const [row] = await this.manager.query(VERIFY_CHAIN_SQL, [tenantId]);
    return row;
  }
}
