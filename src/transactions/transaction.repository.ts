import { Injectable } from '@nestjs/common';
import { cursorTime } from '../common/keyset.js';
import { TenantConnection } from '../database/tenant-connection.js';
import type { Reason, RiskLevel, ScoringConfig, ScoringHistory, TransactionStatus } from './scoring.js';
import type { TransactionView } from './transaction.dto.js';

/** How many of an account's most recent transactions scoring looks at. */
export const HISTORY_WINDOW = 500;
/** How many of those carry their time for the velocity rules. */
export const HISTORY_TIMES = 100;

export interface NewTransaction {
  id: string;
  account_id: string;
  external_id: string | null;
  amount: string;
  currency: string;
  merchant: string;
  merchant_category: string | null;
  country: string | null;
  ip_address: string | null;
  device_id: string | null;
  txn_time: string;
  status: TransactionStatus;
  risk_score: number;
  risk_level: RiskLevel;
  reasons: Reason[];
  metadata: Record<string, unknown> | null;
}

export interface NewAlert {
  id: string;
  transaction_id: string;
  severity: RiskLevel;
  risk_score: number;
  reasons: Reason[];
}

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

export const TRANSACTION_COLUMNS = `t.id, t.account_id, t.external_id, trim_scale(t.amount)::text AS amount, t.currency, t.merchant,
  t.merchant_category, t.country, host(t.ip_address) AS ip_address, t.device_id, t.txn_time, t.status,
  t.risk_score::float8 AS risk_score, t.risk_level, t.reasons, t.scoring_config, t.metadata,
  (SELECT a.id FROM fraud_alerts a WHERE a.tenant_id = t.tenant_id AND a.transaction_id = t.id ORDER BY a.created_at LIMIT 1) AS alert_id,
  t.created_at`;

interface HistoryRow {
  account_id: string;
  count: number;
  amounts: Record<string, { count: number; mean: number }>;
  times: number[];
  countries: string[];
  merchants: string[];
  devices: string[];
}

@Injectable()
export class TransactionRepository {
  constructor(private readonly db: TenantConnection) {}

  /**
   * The scoring history of every account in one query: for each, aggregates over its
   * HISTORY_WINDOW most recent transactions (index tenant_id, account_id, txn_time DESC).
   */
  async histories(accountIds: string[]): Promise<Map<string, ScoringHistory>> {
    const rows = await this.db.query<HistoryRow>(
      `SELECT a.id AS account_id, h.*
         FROM unnest($2::uuid[]) AS a(id)
         CROSS JOIN LATERAL (
           WITH recent AS (
             SELECT amount, currency, country, merchant, device_id, txn_time
               FROM transactions
              WHERE tenant_id = $1 AND account_id = a.id
              ORDER BY txn_time DESC
              LIMIT ${HISTORY_WINDOW})
           SELECT (SELECT count(*) FROM recent)::int AS count,
                  (SELECT coalesce(jsonb_object_agg(currency, jsonb_build_object('count', n, 'mean', mean)), '{}'::jsonb)
                     FROM (SELECT currency, count(*) AS n, avg(amount)::float8 AS mean FROM recent GROUP BY currency) c) AS amounts,
                  (SELECT coalesce(array_agg(ms), '{}')
                     FROM (SELECT (extract(epoch FROM txn_time) * 1000)::float8 AS ms FROM recent
                            ORDER BY txn_time DESC LIMIT ${HISTORY_TIMES}) r) AS times,
                  (SELECT coalesce(array_agg(DISTINCT country::text) FILTER (WHERE country IS NOT NULL), '{}') FROM recent) AS countries,
                  (SELECT coalesce(array_agg(DISTINCT merchant::text), '{}') FROM recent) AS merchants,
                  (SELECT coalesce(array_agg(DISTINCT device_id::text) FILTER (WHERE device_id IS NOT NULL), '{}') FROM recent) AS devices
         ) h`,
      [this.db.tenantId, accountIds],
    );
    return new Map(
      rows.map((row) => [
        row.account_id,
        {
          count: row.count,
          amounts: row.amounts,
          times: row.times,
          countries: new Set(row.countries),
          merchants: new Set(row.merchants),
          devices: new Set(row.devices),
        },
      ]),
    );
  }

  /** Which of these external_ids the tenant already used. */
  async existingExternalIds(externalIds: string[]): Promise<Set<string>> {
    if (externalIds.length === 0) return new Set();
    const rows = await this.db.query<{ external_id: string }>(
      `SELECT external_id FROM transactions WHERE tenant_id = $1 AND external_id = ANY($2::varchar[])`,
      [this.db.tenantId, externalIds],
    );
    return new Set(rows.map((row) => row.external_id));
  }

  /** All rows in one multi-row INSERT (arrays unnested server-side): one round trip per batch. */
  async insertMany(rows: NewTransaction[], scoringConfig: ScoringConfig): Promise<void> {
    const column = <K extends keyof NewTransaction>(key: K) => rows.map((row) => row[key]);
    await this.db.execute(
      `INSERT INTO transactions (tenant_id, id, account_id, external_id, amount, currency, merchant, merchant_category,
                                 country, ip_address, device_id, txn_time, status, risk_score, risk_level, reasons,
                                 scoring_config, metadata)
       SELECT $1, r.id, r.account_id, r.external_id, r.amount, r.currency, r.merchant, r.merchant_category,
              r.country, r.ip_address, r.device_id, r.txn_time, r.status, r.risk_score, r.risk_level, r.reasons,
              $17::jsonb, r.metadata
         FROM unnest($2::uuid[], $3::uuid[], $4::varchar[], $5::numeric[], $6::char(3)[], $7::varchar[], $8::char(4)[],
                     $9::char(2)[], $10::inet[], $11::varchar[], $12::timestamptz[], $13::varchar[], $14::numeric[],
                     $15::varchar[], $16::jsonb[], $18::jsonb[])
           AS r(id, account_id, external_id, amount, currency, merchant, merchant_category, country, ip_address,
                device_id, txn_time, status, risk_score, risk_level, reasons, metadata)`,
      [
        this.db.tenantId,
        column('id'),
        column('account_id'),
        column('external_id'),
        column('amount'),
        column('currency'),
        column('merchant'),
        column('merchant_category'),
        column('country'),
        column('ip_address'),
        column('device_id'),
        column('txn_time'),
        column('status'),
        column('risk_score'),
        column('risk_level'),
        rows.map((row) => JSON.stringify(row.reasons)),
        JSON.stringify(scoringConfig),
        rows.map((row) => (row.metadata === null ? null : JSON.stringify(row.metadata))),
      ],
    );
  }

  async insertAlerts(alerts: NewAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.db.execute(
      `INSERT INTO fraud_alerts (tenant_id, id, transaction_id, severity, risk_score, reasons)
       SELECT $1, r.id, r.transaction_id, r.severity, r.risk_score, r.reasons
         FROM unnest($2::uuid[], $3::uuid[], $4::varchar[], $5::numeric[], $6::jsonb[])
           AS r(id, transaction_id, severity, risk_score, reasons)`,
      [
        this.db.tenantId,
        alerts.map((alert) => alert.id),
        alerts.map((alert) => alert.transaction_id),
        alerts.map((alert) => alert.severity),
        alerts.map((alert) => alert.risk_score),
        alerts.map((alert) => JSON.stringify(alert.reasons)),
      ],
    );
  }

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
    return this.db.query(
      `SELECT ${TRANSACTION_COLUMNS}, ${cursorTime('t.txn_time')} AS cursor_time
         FROM transactions t WHERE ${where.join(' AND ')}
        ORDER BY t.txn_time DESC, t.id DESC LIMIT $${params.push(filter.limit + 1)}`,
      params,
    );
  }
}
