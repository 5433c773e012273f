import { cursorTime, isoTime } from '../common/sql-time.js';

/*
 * The transaction view's SQL, free of Nest so that the benchmark's ceiling (bench/ceiling/server.mjs)
 * sends exactly what the API sends.
 */

/**
 * The columns of a TransactionView, from `transactions t`: the amount with its currency's minor-unit
 * scale (fg_amount_text, migration 0100, inlined by the planner); account_ref as the ingest stored
 * it on the row (the account's look-up runs only for rows older than migration 0101, which have none).
 */
export const TRANSACTION_COLUMNS = `t.id, t.account_id,
  coalesce(t.account_ref, (SELECT a.external_ref FROM accounts a WHERE a.tenant_id = t.tenant_id AND a.id = t.account_id)) AS account_ref,
  t.external_id, fg_amount_text(t.amount, t.currency) AS amount, t.currency, t.merchant,
  t.merchant_category, t.country, host(t.ip_address) AS ip_address, t.device_id, ${isoTime('t.txn_time')} AS txn_time, t.status,
  t.risk_score::float8 AS risk_score, t.risk_level, t.reasons, t.scoring_config, t.metadata,
  (SELECT a.id FROM fraud_alerts a WHERE a.tenant_id = t.tenant_id AND a.transaction_id = t.id ORDER BY a.created_at LIMIT 1) AS alert_id,
  ${isoTime('t.created_at')} AS created_at`;

/**
 * A page of the list, newest first, keyset on (txn_time DESC, id DESC) over idx_transactions_tenant_time:
 * `where` are the conditions (the first one the tenant's), `limitParam` the number of the LIMIT's
 * parameter. Each row also has the cursor's `cursor_time`.
 */
export function transactionListSql(where: string[], limitParam: number): string {
  return `SELECT ${TRANSACTION_COLUMNS}, ${cursorTime('t.txn_time')} AS cursor_time
         FROM transactions t WHERE ${where.join(' AND ')}
        ORDER BY t.txn_time DESC, t.id DESC LIMIT $${limitParam}`;
}
