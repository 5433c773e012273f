import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { preparedQuery } from '../database/current-transaction.js';
import { textArray } from '../database/pg-text-array.js';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { INGEST_CONTEXT_SQL, INGEST_LATE_REFS_SQL, INGEST_WRITE_SQL } from './ingest.sql.js';
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
  /** The account_ids asked for that are accounts of the tenant → their external_ref. */
  knownIds: Map<string, string>;
  /** Scoring history of every account that existed before this request (new ones have none yet). */
  histories: Map<string, ScoringHistory>;
  /** Which of the external_ids asked about the tenant already used. */
  takenExternalIds: Set<string>;
}

interface ContextRow {
  ml_config: unknown;
  max_transactions_per_month: number | null;
  used: number;
  /** [id, external_ref, asked for by id]. */
  accounts: Array<[string, string, boolean]>;
  profiles: Array<[string, StoredProfile]>;
  taken: string[];
}

/**
 * The ingest's whole conversation with PostgreSQL, in two statements (after BEGIN, before COMMIT):
 * one that reads everything scoring needs, one that writes everything the ingest produces. A single
 * transaction and a batch of a thousand take the same two round trips. Hand-written, as named
 * prepared statements in the current transaction: no entity API can say either statement in one
 * round trip.
 */
@Injectable()
export class IngestRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

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
  async context(tenantId: string, refs: string[], accountIds: string[], externalIds: string[]): Promise<IngestContext | undefined> {
    const sortedRefs = [...new Set(refs)].sort();
    const manager = this.txHost.tx;
    // One prepared read for everything scoring needs (docs/benchmark.md step 1: two prepared statements, single ingest 224 → ~340 req/s).
    const rows = await preparedQuery<ContextRow>(manager, INGEST_CONTEXT_SQL, [tenantId, sortedRefs, accountIds, externalIds]);
    const row = rows[0];
    if (!row) return undefined;
    const byRef = new Map<string, string>();
    const knownIds = new Map<string, string>();
    for (const [id, ref, byId] of row.accounts) {
      if (byId) knownIds.set(id, ref);
      else byRef.set(ref, id);
    }
    const histories = new Map<string, ScoringHistory>();
    for (const [id, profile] of row.profiles) histories.set(id, historyFromProfile(profile));
    const late = sortedRefs.filter((ref) => !byRef.has(ref));
    if (late.length) {
      // Only after a race on a new ref; prepared like its two siblings (docs/benchmark.md step 1).
      const found = await preparedQuery<{ id: string; external_ref: string; profile: StoredProfile }>(manager, INGEST_LATE_REFS_SQL, [tenantId, late]);
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
   * transactions against this month's quota only if they fit (fg_quota_reserve: one of the tenant's
   * slot counters, locked until the COMMIT that follows; concurrent ingests can never together pass
   * the limit, and far from it they take different slots — docs/transactions.md, "Monthly quota").
   * Answers whether they fit (when not, the caller rolls everything back) and the rows' created_at
   * (the transaction's start time, ISO 8601).
   */
  async write(
    tenantId: string,
    rows: NewTransaction[],
    alerts: NewAlert[],
    profiles: Map<string, StoredProfile>,
    scoringConfig: ScoringConfig,
    audit: unknown[],
  ): Promise<{ reserved: boolean; created_at: string }> {
    // Column arrays as literals (textArray); `safe` columns are ids, decimals, times and validated codes.
    // textArray, not pg's encoder: that one was ~6 % of a 1,000-row batch's Node time (docs/benchmark.md step 4).
    const column = (key: keyof NewTransaction, safe = false) => textArray(rows.map((row) => row[key] as string | number | null), safe);
    // In INGEST_WRITE_SQL's order: $1 tenant, $2 count, $3–$4 documents, $5–$19 transaction columns,
    // $20–$24 alert columns, $25–$26 profiles, $27 the transactions' account_ref, then the audit row's values.
    const params: unknown[] = [
      tenantId,
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
      column('account_ref'),
      ...audit.slice(1),
    ];
    // One prepared write for everything the ingest produces (docs/benchmark.md step 1: two prepared statements, single ingest 224 → ~340 req/s).
    const [result] = await preparedQuery<{ reserved: boolean; created_at: string }>(this.txHost.tx, INGEST_WRITE_SQL, params);
    return result;
  }
}
