import { CURRENT_QUOTA_MONTH } from './quota-month.js';
import { AUDIT_COLUMNS } from '../audit/audit.entry.js';
import { isoTime } from '../common/sql-time.js';

/*
 * The ingest's statements, built once as constants: their texts never change, so they are prepared
 * once per connection and never rebuilt nor re-hashed per request. A module of their own, free of
 * Nest and TypeORM, so that the benchmark's ceiling (bench/ceiling/server.mjs) sends exactly these.
 */

/** IngestRepository.context's one statement (see there). */
export const INGEST_CONTEXT_SQL = `WITH existing AS (
   SELECT id, external_ref, false AS by_id FROM accounts WHERE tenant_id = $1 AND external_ref = ANY($2::varchar[])
   UNION
   SELECT id, external_ref, true FROM accounts WHERE tenant_id = $1 AND id = ANY($3::uuid[])),
 created AS (
   INSERT INTO accounts (tenant_id, external_ref)
   SELECT $1, ref FROM unnest($2::varchar[]) AS r(ref)
    WHERE ref NOT IN (SELECT external_ref FROM existing)
    ORDER BY ref
   ON CONFLICT (tenant_id, external_ref) DO NOTHING
   RETURNING id, external_ref, false AS by_id),
 profiles AS (
   SELECT p.account_id, p.profile FROM account_profiles p
    WHERE p.tenant_id = $1 AND p.account_id IN (SELECT id FROM existing)
    ORDER BY p.account_id
      FOR UPDATE)
 SELECT t.ml_config, t.max_transactions_per_month,
        coalesce((SELECT sum(u.transactions) FROM tenant_monthly_usage u
                   WHERE u.tenant_id = $1 AND u.month = ${CURRENT_QUOTA_MONTH}), 0)::float8 AS used,
        (SELECT coalesce(json_agg(json_build_array(a.id, a.external_ref, a.by_id)), '[]')
           FROM (SELECT id, external_ref, by_id FROM created UNION ALL SELECT id, external_ref, by_id FROM existing) a) AS accounts,
        (SELECT coalesce(json_agg(json_build_array(p.account_id, p.profile)), '[]') FROM profiles p) AS profiles,
        (SELECT coalesce(array_agg(x.external_id), '{}') FROM transactions x
          WHERE x.tenant_id = $1 AND x.external_id IS NOT NULL AND x.external_id = ANY($4::varchar[])) AS taken
   FROM tenants t WHERE t.tenant_id = $1`;

/** The audit row's values after its tenant ($1): $28 onwards in INGEST_WRITE_SQL. */
const AUDIT_VALUES = AUDIT_COLUMNS.split(',')
  .slice(1)
  .map((_, index) => `$${28 + index}`)
  .join(', ');

/**
 * IngestRepository.write's one statement (see there): its text never changes, so it is
 * neither rebuilt nor re-hashed per request. Reasons ($3) and profiles ($25) travel as JSON documents
 * rather than arrays of JSON texts: one JSON.stringify, and no array-literal escaping of every quote
 * on this side nor unescaping on the server's. Row n's reasons (profile) are element n - 1. The
 * profile rows come from unnest, whose estimate keeps their look-up a nested loop on the primary key
 * (jsonb_to_recordset's fixed 100-row guess made the generic plan read every profile of the tenant).
 * The quota is reserved first (the main query reads it; the other CTEs run after it): fg_quota_reserve
 * (migration 0060) adds the count to one of the tenant's slot counters only if it fits. It answers the
 * transaction's start time too, the created_at every row it inserts gets (now()), as the API shows it.
 */
export const INGEST_WRITE_SQL = `WITH quota AS (SELECT fg_quota_reserve($1, $2::int) AS reserved),
       txns AS (
         INSERT INTO transactions (tenant_id, id, account_id, account_ref, external_id, amount, currency, merchant,
                                   merchant_category, country, ip_address, device_id, txn_time, status, risk_score,
                                   risk_level, reasons, scoring_config, metadata)
         SELECT $1, r.id, r.account_id, r.account_ref, r.external_id, r.amount, r.currency, r.merchant,
                r.merchant_category, r.country, r.ip_address, r.device_id, r.txn_time, r.status, r.risk_score,
                r.risk_level, $3::jsonb -> (r.n::int - 1), $4::jsonb, r.metadata
           FROM unnest($5::uuid[], $6::uuid[], $27::varchar[], $7::varchar[], $8::numeric[], $9::char(3)[], $10::varchar[],
                       $11::char(4)[], $12::char(2)[], $13::inet[], $14::varchar[], $15::timestamptz[], $16::varchar[],
                       $17::numeric[], $18::varchar[], $19::jsonb[])
                WITH ORDINALITY
             AS r(id, account_id, account_ref, external_id, amount, currency, merchant, merchant_category, country,
                  ip_address, device_id, txn_time, status, risk_score, risk_level, metadata, n)),
       alerts AS (
         INSERT INTO fraud_alerts (tenant_id, id, transaction_id, severity, risk_score, reasons)
         SELECT $1, r.id, r.transaction_id, r.severity, r.risk_score, r.reasons
           FROM unnest($20::uuid[], $21::uuid[], $22::varchar[], $23::numeric[], $24::jsonb[])
             AS r(id, transaction_id, severity, risk_score, reasons)),
       profiles AS (
         UPDATE account_profiles AS p SET profile = $25::jsonb -> (r.n::int - 1), updated_at = now()
           FROM unnest($26::uuid[]) WITH ORDINALITY AS r(account_id, n)
          WHERE p.tenant_id = $1 AND p.account_id = r.account_id),
       audit AS (
         INSERT INTO audit_logs (${AUDIT_COLUMNS}) VALUES ($1, ${AUDIT_VALUES}))
       SELECT (SELECT reserved FROM quota) AS reserved, ${isoTime('now()')} AS created_at`;

/**
 * Account refs a concurrent request created after INGEST_CONTEXT_SQL's snapshot ($2): read, with
 * their profiles locked, by a second statement.
 */
export const INGEST_LATE_REFS_SQL = `SELECT a.id, a.external_ref, p.profile
   FROM accounts a JOIN account_profiles p ON p.tenant_id = a.tenant_id AND p.account_id = a.id
  WHERE a.tenant_id = $1 AND a.external_ref = ANY($2::varchar[])
  ORDER BY a.id
    FOR UPDATE OF p`;
