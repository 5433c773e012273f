import { Injectable } from '@nestjs/common';
import { AuditWriter } from '../audit/audit.writer.js';
import type { AuthContext } from '../common/auth-context.js';
import { keysetAfter, keysetPage } from '../common/keyset.js';
import { FieldError, NotFoundProblem, ProblemException } from '../common/problem.js';
import { uuidv7 } from '../common/uuid-v7.js';
import { CurrentTransaction } from '../database/current-transaction.js';
import { MailService } from '../mail/mail.service.js';
import { IngestContext, IngestRepository, NewAlert, NewTransaction } from './ingest.repository.js';
import {
  addToHistory,
  decide,
  emptyHistory,
  profileOf,
  scoreTransaction,
  ScoringConfig,
  scoringConfigFrom,
  ScoringInput,
} from './scoring.js';
import type {
  BatchResultView,
  CreateTransactionBatchDto,
  CreateTransactionDto,
  CreatedTransactionView,
  TransactionListQuery,
  TransactionPage,
  TransactionView,
} from './transaction.dto.js';
import { canonicalAmount } from './transaction-validators.js';
import { amountText } from './amount-text.js';
import { canonicalIpAddress } from '../common/ip-address.js';
import { TransactionQuotaRepository } from './transaction-quota.repository.js';
import { TransactionRepository } from './transaction.repository.js';

function startOfNextMonthUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

function quotaExceeded(limit: number, used: number, requested: number): ProblemException {
  const now = new Date();
  const retryAfter = Math.max(1, Math.ceil((startOfNextMonthUtc(now).getTime() - now.getTime()) / 1000));
  return new ProblemException(
    429,
    'quota-exceeded',
    'Monthly transaction quota exceeded',
    `The plan allows ${limit} transactions per month; ${used} are used and this request adds ${requested}`,
    { limit, used, requested },
    { 'retry-after': String(retryAfter) },
  );
}

/** One ingested transaction: its row as written, and the alert it raised. */
interface IngestedItem {
  row: NewTransaction;
  alertId: string | null;
}

interface Ingested {
  items: IngestedItem[];
  /** The scoring settings every row was scored with (each row's scoring_config). */
  config: ScoringConfig;
  /** The rows' created_at, ISO 8601. */
  createdAt: string;
}

/**
 * Ingest: one code path for a single transaction and a batch (a single one is a batch of one), so
 * the batch is the same work done in sets — a fixed number of round trips whatever its size.
 */
@Injectable()
export class TransactionService {
  constructor(
    private readonly transactions: TransactionRepository,
    private readonly ingestion: IngestRepository,
    private readonly quota: TransactionQuotaRepository,
    private readonly audit: AuditWriter,
    private readonly mail: MailService,
    private readonly transaction: CurrentTransaction,
  ) {}

  /** The new transaction exactly as GET /transactions/:id shows it, with its id also as transaction_id. */
  async create(auth: AuthContext, dto: CreateTransactionDto): Promise<CreatedTransactionView> {
    const { items, config, createdAt } = await this.ingest(auth, [dto], false);
    const { row, alertId } = items[0];
    return {
      id: row.id,
      transaction_id: row.id,
      account_id: row.account_id,
      account_ref: row.account_ref,
      external_id: row.external_id,
      amount: row.amount,
      currency: row.currency,
      merchant: row.merchant,
      merchant_category: row.merchant_category,
      country: row.country,
      ip_address: row.ip_address,
      device_id: row.device_id,
      txn_time: row.txn_time,
      status: row.status,
      risk_score: row.risk_score,
      risk_level: row.risk_level,
      reasons: row.reasons,
      scoring_config: config,
      metadata: row.metadata,
      alert_id: alertId,
      created_at: createdAt,
    };
  }

  async createBatch(auth: AuthContext, dto: CreateTransactionBatchDto): Promise<BatchResultView> {
    const { items } = await this.ingest(auth, dto.transactions, true);
    const data = items.map(({ row, alertId }, index) => ({
      index,
      external_id: row.external_id,
      transaction_id: row.id,
      status: row.status,
      risk_score: row.risk_score,
      risk_level: row.risk_level,
      reasons: row.reasons,
      alert_id: alertId,
    }));
    return {
      data,
      count: data.length,
      alerts: data.filter((item) => item.alert_id).length,
      blocked: data.filter((item) => item.status === 'BLOCKED').length,
    };
  }

  /** The refusal is audited in its own transaction: the request itself rolls back. */
  private async refuseOverQuota(auth: AuthContext, limit: number, used: number, requested: number): Promise<ProblemException> {
    await this.audit.recordDetached(auth, {
      action: 'quota.exceeded',
      resourceType: 'transaction',
      newValue: { limit, used, requested },
      severity: 'WARNING',
    });
    return quotaExceeded(limit, used, requested);
  }

  private async ingest(auth: AuthContext, items: CreateTransactionDto[], batch: boolean): Promise<Ingested> {
    const field = (index: number, name: string) => (batch ? `transactions.${index}.${name}` : name);
    const externalIds = this.externalIdsOnce(items, field);
    const context = await this.ingestion.context(
      auth.tenantId,
      items.flatMap((item) => (item.account_ref ? [item.account_ref] : [])),
      [...new Set(items.flatMap((item) => (item.account_id ? [item.account_id.toLowerCase()] : [])))],
      // A single transaction needs no look-up: the unique constraint answers (409) on insert.
      items.length > 1 ? externalIds.ids : [],
    );
    if (!context) throw new NotFoundProblem('Tenant');
    // Cheap early refusal; the exact, concurrency-safe check is the reservation in write().
    if (context.max_transactions_per_month !== null && context.used + items.length > context.max_transactions_per_month) {
      throw await this.refuseOverQuota(auth, context.max_transactions_per_month, context.used, items.length);
    }
    const accounts = this.accountsOf(items, context, field);
    this.assertExternalIdsFree(items, externalIds.repeats, context.takenExternalIds, field);

    const config = scoringConfigFrom(context.ml_config);
    const histories = context.histories;
    const now = new Date().toISOString();
    const rows: NewTransaction[] = [];
    const alerts: NewAlert[] = [];
    const results: IngestedItem[] = [];
    items.forEach((item, index) => {
      const { id: accountId, ref: accountRef } = accounts[index];
      let history = histories.get(accountId);
      if (!history) histories.set(accountId, (history = emptyHistory()));
      const amount = amountText(canonicalAmount(item.amount), item.currency);
      const txnTime = item.txn_time ? new Date(item.txn_time).toISOString() : now;
      const input: ScoringInput = {
        amount: Number(amount),
        currency: item.currency,
        merchant: item.merchant,
        merchant_category: item.merchant_category,
        country: item.country,
        device_id: item.device_id,
        txn_time: Date.parse(txnTime),
      };
      const score = scoreTransaction(input, history);
      addToHistory(history, input);
      const decision = decide(score, config);
      const id = uuidv7();
      // The values as the database will show them (amount at its currency's scale, the IP address as host(inet) prints it).
      const row: NewTransaction = {
        id,
        account_id: accountId,
        account_ref: accountRef,
        external_id: item.external_id ?? null,
        amount,
        currency: item.currency,
        merchant: item.merchant,
        merchant_category: item.merchant_category ?? null,
        country: item.country ?? null,
        ip_address: item.ip_address ? canonicalIpAddress(item.ip_address) : null,
        device_id: item.device_id ?? null,
        txn_time: txnTime,
        status: decision.status,
        risk_score: score.risk_score,
        risk_level: score.risk_level,
        reasons: score.reasons,
        metadata: item.metadata ?? null,
      };
      rows.push(row);
      let alertId: string | null = null;
      if (decision.alertSeverity) {
        alertId = uuidv7();
        alerts.push({
          id: alertId,
          transaction_id: id,
          severity: decision.alertSeverity,
          risk_score: score.risk_score,
          reasons: score.reasons,
        });
      }
      results.push({ row, alertId });
    });

    const audit = this.audit.params(
      auth,
      batch
        ? {
            action: 'transaction.batch_create',
            resourceType: 'transaction',
            newValue: { count: rows.length, alerts: alerts.length, blocked: rows.filter((row) => row.status === 'BLOCKED').length, first_id: rows[0].id },
          }
        : {
            action: 'transaction.create',
            resourceType: 'transaction',
            resourceId: rows[0].id,
            newValue: { amount: rows[0].amount, currency: rows[0].currency, status: rows[0].status, risk_score: rows[0].risk_score, alert_id: results[0].alertId ?? undefined },
          },
    );
    let written: { reserved: boolean; created_at: string };
    try {
      const profiles = new Map([...new Set(accounts.map((account) => account.id))].map((id) => [id, profileOf(histories.get(id)!)]));
      written = await this.ingestion.write(auth.tenantId, rows, alerts, profiles, config, audit);
    } catch (error) {
      if ((error as { code?: string }).code === '23505' && /external_id/.test((error as { constraint?: string }).constraint ?? '')) {
        throw new ProblemException(409, 'duplicate-external-id', 'Duplicate external_id', 'A transaction with this external_id already exists');
      }
      throw error;
    }
    if (!written.reserved) {
      const fresh = await this.quota.transactionsThisMonth(auth.tenantId);
      throw await this.refuseOverQuota(auth, context.max_transactions_per_month ?? 0, fresh, items.length);
    }
    if (alerts.length > 0 && config.notification_email) this.notifyAfterCommit(config, results.filter((result) => result.alertId));
    return { items: results, config, createdAt: written.created_at };
  }

  /** account_id or account_ref of each item → the account's id and external_ref; unknown account_ids are a 404. */
  private accountsOf(items: CreateTransactionDto[], context: IngestContext, field: (index: number, name: string) => string): Array<{ id: string; ref: string }> {
    const unknown: FieldError[] = [];
    items.forEach((item, index) => {
      if (item.account_id && !context.knownIds.has(item.account_id.toLowerCase())) unknown.push({ field: field(index, 'account_id'), message: 'account not found' });
    });
    if (unknown.length) {
      throw new ProblemException(404, 'not-found', 'Not Found', unknown.length === 1 ? 'Account not found' : `${unknown.length} accounts not found`, { errors: unknown });
    }
    return items.map((item) => {
      if (!item.account_id) return { id: context.byRef.get(item.account_ref!)!, ref: item.account_ref! };
      const id = item.account_id.toLowerCase();
      return { id, ref: context.knownIds.get(id)! };
    });
  }

  /** The batch's distinct external_ids, and the items that repeat one of an earlier item. */
  private externalIdsOnce(items: CreateTransactionDto[], field: (index: number, name: string) => string): { ids: string[]; repeats: FieldError[] } {
    const seen = new Map<string, number>();
    const repeats: FieldError[] = [];
    items.forEach((item, index) => {
      if (!item.external_id) return;
      const first = seen.get(item.external_id);
      if (first !== undefined) repeats.push({ field: field(index, 'external_id'), message: `repeats transactions.${first}.external_id` });
      else seen.set(item.external_id, index);
    });
    return { ids: [...seen.keys()], repeats };
  }

  /** Repeats inside the batch and external_ids the tenant already used: one 409 naming them all. */
  private assertExternalIdsFree(items: CreateTransactionDto[], repeats: FieldError[], taken: Set<string>, field: (index: number, name: string) => string): void {
    const conflicts = [...repeats];
    const seen = new Set<string>();
    items.forEach((item, index) => {
      if (!item.external_id || seen.has(item.external_id)) return;
      seen.add(item.external_id);
      if (taken.has(item.external_id)) conflicts.push({ field: field(index, 'external_id'), message: 'a transaction with this external_id already exists' });
    });
    if (conflicts.length) {
      throw new ProblemException(409, 'duplicate-external-id', 'Duplicate external_id', 'A transaction with this external_id already exists', {
        errors: conflicts,
      });
    }
  }

  private notifyAfterCommit(config: ScoringConfig, alerted: IngestedItem[]): void {
    const to = config.notification_email!;
    const lines = alerted.slice(0, 50).map(
      ({ row, alertId }) =>
        `- transaction ${row.id}: risk ${row.risk_score} (${row.risk_level}), ${row.status}, alert ${alertId}\n` +
        row.reasons.map((reason) => `    ${reason.rule} +${reason.contribution}: ${reason.detail}`).join('\n'),
    );
    const more = alerted.length > 50 ? `\n… and ${alerted.length - 50} more.` : '';
    this.transaction.afterCommit(() =>
      this.mail.send({
        to,
        subject: `FraudGuard: ${alerted.length} fraud alert${alerted.length === 1 ? '' : 's'} raised`,
        text: `Transactions reached your risk threshold (${config.risk_threshold}):\n\n${lines.join('\n')}${more}\n`,
      }),
    );
  }

  async get(auth: AuthContext, id: string): Promise<TransactionView> {
    const transaction = await this.transactions.findById(auth.tenantId, id);
    if (!transaction) throw new NotFoundProblem('Transaction');
    return transaction;
  }

  async list(auth: AuthContext, query: TransactionListQuery): Promise<TransactionPage> {
    const limit = query.limit ?? 50;
    const rows = await this.transactions.list(auth.tenantId, {
      accountId: query.account_id,
      from: query.from,
      to: query.to,
      status: query.status,
      riskLevel: query.risk_level,
      minAmount: query.min_amount,
      after: keysetAfter('transactions', query.starting_after),
      limit,
    });
    return keysetPage('transactions', rows, limit);
  }
}
