import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';
import { transactionListSql, TRANSACTION_COLUMNS } from './transaction.sql.js';
import type { TransactionView } from './transaction.dto.js';

export interface TransactionListFilter {
  account_id?: string;
  from?: string;
  to?: string;
  status?: string;
  risk_level?: string;
  min_amount?: string;
  after?: [string, string];
  limit: number;
}

@RequestBound()
export class TransactionRepository {
  constructor(private readonly db: TenantConnection) {}

  async findById(id: string): Promise<TransactionView | undefined> {
    const rows = await this.db.query<TransactionView>(`SELECT ${TRANSACTION_COLUMNS} FROM transactions t WHERE t.tenant_id = $1 AND t.id = $2`, [
      this.db.tenantId,
      id,
    ]);
    return rows[0];
  }

  /** Newest first, keyset on (txn_time DESC, id DESC) over idx_transactions_tenant_time. */
  async list(filter: TransactionListFilter): Promise<Array<TransactionView & { cursor_time: string }>> {
    const params: unknown[] = [this.db.tenantId];
    const where = ['t.tenant_id = $1'];
    if (filter.account_id) where.push(`t.account_id = $${params.push(filter.account_id)}`);
    if (filter.from) where.push(`t.txn_time >= $${params.push(filter.from)}::timestamptz`);
    if (filter.to) where.push(`t.txn_time < $${params.push(filter.to)}::timestamptz`);
    if (filter.status) where.push(`t.status = $${params.push(filter.status)}`);
    if (filter.risk_level) where.push(`t.risk_level = $${params.push(filter.risk_level)}`);
    if (filter.min_amount) where.push(`t.amount >= $${params.push(filter.min_amount)}::numeric`);
    if (filter.after) {
      where.push(`(t.txn_time, t.id) < ($${params.push(filter.after[0])}::timestamptz, $${params.push(filter.after[1])}::uuid)`);
    }
    return this.db.query(transactionListSql(where, params.push(filter.limit + 1)), params, { prepare: true });
  }
}
