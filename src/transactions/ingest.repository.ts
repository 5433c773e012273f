import { CURRENT_QUOTA_MONTH } from '../../migrations/1700000000020-transaction-ingest.js';
import { AUDIT_COLUMNS } from '../audit/audit.entry.js';
import { textArray } from '../database/pg-text-array.js';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';
import { historyFromProfile, type Reason, type RiskLevel, type ScoringConfig, type ScoringHistory, type StoredProfile } from './scoring.js';
import type { TransactionView } from './transaction.dto.js';

/** A transaction as the ingest writes it: the view's columns that exist before the row does, scored. */
export type NewTransaction = Omit<TransactionView, 'risk_score' | 'risk_level' | 'scoring_config' | 'alert_id' | 'created_at'> & {
  risk_score: number;
  risk_level: RiskLevel;
};

export interface NewAlert {
  id: string;
  transaction_id: string;
  severity: RiskLevel;
  risk_score: number;
  reasons: Reason[];
}

/** What an ingest needs to know before it scores: read (and account refs created) in one statement. */
export interface IngestContext {
  ml_config: unknown;
  max_transactions_per_month: number | null;
  /** Transactions counted against this month's quota so far. */
  used: number;
  /** account_ref → id, for every ref asked for (created when new). */
  byRef: Map<string, string>;
  /** Which of the account_ids asked for are accounts of the tenant. */
  knownIds: Set<string>;
  /** Scoring history of every account that existed before this request (new ones have none yet). */
  histories: Map<string, ScoringHistory>;
  /** Which of the external_ids asked about the tenant already used. */
  takenExternalIds: Set<string>;
}

interface ContextRow {
  ml_config: unknown;
  max_transactions_per_month: number | null;
  used: number;
  accounts: Array<[string, string | null]>;
  profiles: Array<[string, StoredProfile]>;
  taken: string[];
}

/** IngestRepository.context's one statement (see there), built once. */
const CONTEXT_SQL = `WITH existing AS (
   SELECT id, external_ref FROM accounts WHERE tenant_id = $1 AND external_ref = ANY($2::varchar[])
   UNION
   SELECT id, NULL FROM accounts WHERE tenant_id = $1 AND id = ANY($3::uuid[])),
 created AS (
   INSERT INTO accounts (tenant_id, external_ref)
   SELECT $1, ref FROM unnest($2::varchar[]) AS r(ref)
    WHERE ref NOT IN (SELECT external_ref FROM existing WHERE external_ref IS NOT NULL)
    ORDER BY ref
   ON CONFLICT (tenant_id, external_ref) DO NOTHING
   RETURNING id, external_ref),
 profiles AS (
   SELECT p.account_id, p.profile FROM account_profiles p
    WHERE p.tenant_id = $1 AND p.account_id IN (SELECT id FROM existing)
    ORDER BY p.account_id
      FOR UPDATE)
 SELECT t.ml_config, t.max_transactions_per_month,
        coalesce((SELECT u.transactions FROM tenant_monthly_usage u
                   WHERE u.tenant_id = $1 AND u.month = ${CURRENT_QUOTA_MONTH}), 0)::float8 AS used,
        (SELECT coalesce(json_agg(json_build_array(a.id, a.external_ref)), '[]')
           FROM (SELECT id, external_ref FROM created UNION ALL SELECT id, external_ref FROM existing) a) AS accounts,
        (SELECT coalesce(json_agg(json_build_array(p.account_id, p.profile)), '[]') FROM profiles p) AS profiles,
        (SELECT coalesce(array_agg(x.external_id), '{}') FROM transactions x
          WHERE x.tenant_id = $1 AND x.external_id IS NOT NULL AND x.external_id = ANY($4::varchar[])) AS taken
   FROM tenants t WHERE t.tenant_id = $1`;

/** The audit row's values after its tenant ($1): $27 onwards in WRITE_SQL. */
const AUDIT_VALUES = AUDIT_COLUMNS.split(',')
  .slice(1)
  .map((_, index) => `$${27 + index}`)
  .join(', ');

/**
 * IngestRepository.write's one statement (see there), built once: its text never changes, so it is
 * neither rebuilt nor re-hashed per request. Reasons ($3) and profiles ($25) travel as JSON documents
 * rather than arrays of JSON texts: one JSON.stringify, and no array-literal escaping of every quote
 * on this side nor unescaping on the server's. Row n's reasons (profile) are element n - 1. The
 * profile rows come from unnest, whose estimate keeps their look-up a nested loop on the primary key
 * (jsonb_to_recordset's fixed 100-row guess made the generic plan read every profile of the tenant).
 */
const WRITE_SQL = `WITH quota AS (
         INSERT INTO tenant_monthly_usage AS u (tenant_id, month, transactions)
         SELECT t.tenant_id, ${CURRENT_QUOTA_MONTH}, $2::int
           FROM tenants t
          WHERE t.tenant_id = $1 AND (t.max_transactions_per_month IS NULL OR $2::int <= t.max_transactions_per_month)
         ON CONFLICT (tenant_id, month) DO UPDATE
            SET transactions = u.transactions + EXCLUDED.transactions, updated_at = now()
          WHERE u.transactions + EXCLUDED.transactions <=
                coalesce((SELECT t.max_transactions_per_month FROM tenants t WHERE t.tenant_id = $1), 9223372036854775807)
         RETURNING 1),
       txns AS (
         INSERT INTO transactions (tenant_id, id, account_id, external_id, amount, currency, merchant, merchant_category,
                                   country, ip_address, device_id, txn_time, status, risk_score, risk_level, reasons,
                                   scoring_config, metadata)
         SELECT $1, r.id, r.account_id, r.external_id, r.amount, r.currency, r.merchant, r.merchant_category,
                r.country, r.ip_address, r.device_id, r.txn_time, r.status, r.risk_score, r.risk_level,
                $3::jsonb -> (r.n::int - 1), $4::jsonb, r.metadata
           FROM unnest($5::uuid[], $6::uuid[], $7::varchar[], $8::numeric[], $9::char(3)[], $10::varchar[],
                       $11::char(4)[], $12::char(2)[], $13::inet[], $14::varchar[], $15::timestamptz[], $16::varchar[],
                       $17::numeric[], $18::varchar[], $19::jsonb[])
                WITH ORDINALITY
             AS r(id, account_id, external_id, amount, currency, merchant, merchant_category, country, ip_address,
                  device_id, txn_time, status, risk_score, risk_level, metadata, n)),
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
       SELECT EXISTS (SELECT FROM quota) AS reserved`;

/**
 * The ingest's whole conversation with PostgreSQL, in two statements (after BEGIN, before COMMIT):
 * one that reads everything scoring needs, one that writes everything the ingest produces. A single
 * transaction and a batch of a thousand take the same two round trips.
 */
@RequestBound()
export class IngestRepository {
  constructor(private readonly db: TenantConnection) {}

  /**
   * The tenant's settings and quota usage, account refs resolved (created on first use), account ids
   * checked, the external_ids already taken, and the accounts' scoring profiles: one statement.
   *
   * The profiles are locked (FOR UPDATE, in account id order so two batches cannot deadlock) until
   * the ingest commits: a concurrent ingest for the same account waits, then reads the profile this
   * one wrote. Race-safe for refs: a concurrent request creating the same ref makes the INSERT wait,
   * then skip it (ON CONFLICT DO NOTHING); such a ref, committed after this statement's snapshot, is
   * then read (and its profile locked) by a second statement. Refs are inserted in sorted order for
   * the same reason. Returns undefined when the tenant does not exist.
   */
  async context(refs: string[], accountIds: string[], externalIds: string[]): Promise<IngestContext | undefined> {
    const sortedRefs = [...new Set(refs)].sort();
    const rows = await this.db.query<ContextRow>(
      CONTEXT_SQL,
      [this.db.tenantId, sortedRefs, accountIds, externalIds],
      { prepare: true },
    );
    const row = rows[0];
    if (!row) return undefined;
    const byRef = new Map<string, string>();
    const knownIds = new Set<string>();
    for (const [id, ref] of row.accounts) {
      if (ref === null) knownIds.add(id);
      else byRef.set(ref, id);
    }
    const histories = new Map<string, ScoringHistory>();
    for (const [id, profile] of row.profiles) histories.set(id, historyFromProfile(profile));
    const late = sortedRefs.filter((ref) => !byRef.has(ref));
    if (late.length) {
      const found = await this.db.query<{ id: string; external_ref: string; profile: StoredProfile }>(
        `SELECT a.id, a.external_ref, p.profile
           FROM accounts a JOIN account_profiles p ON p.tenant_id = a.tenant_id AND p.account_id = a.id
          WHERE a.tenant_id = $1 AND a.external_ref = ANY($2::varchar[])
          ORDER BY a.id
            FOR UPDATE OF p`,
        [this.db.tenantId, late],
      );
      for (const account of found) {
        byRef.set(account.external_ref, account.id);
        histories.set(account.id, historyFromProfile(account.profile));
      }
    }
    return {
      ml_config: row.ml_config,
      max_transactions_per_month: row.max_transactions_per_month,
      used: row.used,
      byRef,
      knownIds,
      histories,
      takenExternalIds: new Set(row.taken),
    };
  }

  /**
   * Everything an ingest writes, in one statement: the transactions (column arrays unnested
   * server-side), their alerts, the accounts' updated scoring profiles (a plain UPDATE: the
   * `accounts_profile` trigger gives every account its row when the account is created), the audit
   * row (the database appends it to the tenant's hash chain), and the quota reservation. The reservation counts the
   * transactions against this month's quota only if they fit: the upsert locks the tenant's counter
   * row and its WHERE sees the latest committed value, so concurrent ingests can never together pass
   * the limit; the lock is held until the COMMIT that follows. Returns false when they do not fit —
   * the caller then rolls everything back.
   */
  async write(
    rows: NewTransaction[],
    alerts: NewAlert[],
    profiles: Map<string, StoredProfile>,
    scoringConfig: ScoringConfig,
    audit: unknown[],
  ): Promise<boolean> {
    // Column arrays as literals (textArray); `safe` columns are ids, decimals, times and validated codes.
    const column = (key: keyof NewTransaction, safe = false) => textArray(rows.map((row) => row[key] as string | number | null), safe);
    // In WRITE_SQL's order: $1 tenant, $2 count, $3–$4 documents, $5–$19 transaction columns,
    // $20–$24 alert columns, $25–$26 profiles, then the audit row's values.
    const params: unknown[] = [
      this.db.tenantId,
      rows.length,
      JSON.stringify(rows.map((row) => row.reasons)),
      JSON.stringify(scoringConfig),
      column('id', true),
      column('account_id', true),
      column('external_id'),
      column('amount', true),
      column('currency', true),
      column('merchant'),
      column('merchant_category', true),
      column('country', true),
      column('ip_address'),
      column('device_id'),
      column('txn_time', true),
      column('status', true),
      column('risk_score', true),
      column('risk_level', true),
      textArray(rows.map((row) => (row.metadata === null ? null : JSON.stringify(row.metadata)))),
      textArray(alerts.map((alert) => alert.id), true),
      textArray(alerts.map((alert) => alert.transaction_id), true),
      textArray(alerts.map((alert) => alert.severity), true),
      textArray(alerts.map((alert) => alert.risk_score), true),
      textArray(alerts.map((alert) => JSON.stringify(alert.reasons))),
      JSON.stringify([...profiles.values()]),
      textArray([...profiles.keys()], true),
      ...audit.slice(1),
    ];
    const [result] = await this.db.query<{ reserved: boolean }>(WRITE_SQL, params, { prepare: true });
    return result.reserved;
  }
}
