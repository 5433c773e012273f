import { cursorTime } from '../common/sql-time.js';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';
import type { AlertView, Resolution } from './alert.dto.js';

const ALERT_COLUMNS = `id, transaction_id, severity, risk_score::float8 AS risk_score, reasons, handled, resolution, note,
  assignee_id, handled_by, handled_at, created_at, updated_at`;

export interface AlertListFilter {
  handled?: boolean;
  severity?: string;
  from?: string;
  to?: string;
  after?: [string, string];
  limit: number;
}

export interface AlertChange {
  handled: boolean;
  resolution: Resolution | null;
  note: string | null;
  assignee_id: number | null;
  handled_by: number | null;
  /** true: handled_at = now(); false: cleared; undefined: unchanged. */
  stampHandledAt?: boolean;
}

@RequestBound()
export class AlertRepository {
  constructor(private readonly db: TenantConnection) {}

  async findById(id: string, forUpdate = false): Promise<AlertView | undefined> {
    const rows = await this.db.query<AlertView>(
      `SELECT ${ALERT_COLUMNS} FROM fraud_alerts WHERE tenant_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [this.db.tenantId, id],
    );
    return rows[0];
  }

  /** Newest first, keyset on (created_at DESC, id DESC). */
  async list(filter: AlertListFilter): Promise<Array<AlertView & { cursor_time: string }>> {
    const params: unknown[] = [this.db.tenantId];
    const where = ['tenant_id = $1'];
    if (filter.handled !== undefined) where.push(`handled = $${params.push(filter.handled)}`);
    if (filter.severity) where.push(`severity = $${params.push(filter.severity)}`);
    if (filter.from) where.push(`created_at >= $${params.push(filter.from)}::timestamptz`);
    if (filter.to) where.push(`created_at < $${params.push(filter.to)}::timestamptz`);
    if (filter.after) {
      where.push(`(created_at, id) < ($${params.push(filter.after[0])}::timestamptz, $${params.push(filter.after[1])}::uuid)`);
    }
    return this.db.query(
      `SELECT ${ALERT_COLUMNS}, ${cursorTime('created_at')} AS cursor_time
         FROM fraud_alerts WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $${params.push(filter.limit + 1)}`,
      params,
    );
  }

  async update(id: string, change: AlertChange): Promise<AlertView> {
    const handledAt = change.stampHandledAt === undefined ? 'handled_at' : change.stampHandledAt ? 'now()' : 'NULL';
    const rows = await this.db.query<AlertView>(
      `UPDATE fraud_alerts
          SET handled = $3, resolution = $4, note = $5, assignee_id = $6, handled_by = $7,
              handled_at = ${handledAt}, updated_at = now()
        WHERE tenant_id = $1 AND id = $2
        RETURNING ${ALERT_COLUMNS}`,
      [this.db.tenantId, id, change.handled, change.resolution, change.note, change.assignee_id, change.handled_by],
    );
    return rows[0];
  }

  async userExists(userId: number): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM tenant_users WHERE tenant_id = $1 AND id = $2`, [this.db.tenantId, userId]);
    return rows.length === 1;
  }
}
