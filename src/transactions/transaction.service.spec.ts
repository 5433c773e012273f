import type { AuditEntry, AuditWriter } from '../audit/audit.writer.js';
import type { AuthContext } from '../common/auth-context.js';
import { ProblemException } from '../common/problem.js';
import type { CurrentTransaction } from '../database/current-transaction.js';
import type { Mail, MailService } from '../mail/mail.service.js';
import type { IngestContext, IngestRepository, NewAlert, NewTransaction } from './ingest.repository.js';
import { emptyHistory, type ScoringConfig, type StoredProfile } from './scoring.js';
import type { CreateTransactionDto } from './transaction.dto.js';
import type { TransactionQuotaRepository } from './transaction-quota.repository.js';
import type { TransactionRepository } from './transaction.repository.js';
import { TransactionService } from './transaction.service.js';

const AUTH: AuthContext = { tenantId: 'tenant-a', via: 'api_key', apiKeyId: 7, apiKeyPrefix: 'fgk_live_abc', scopes: ['write:transactions'] };
const ACCOUNT = '0192a4c8-0000-7000-8000-000000000001';
const OTHER_ACCOUNT = '0192a4c8-0000-7000-8000-000000000002';

interface Write {
  tenantId: string;
  rows: NewTransaction[];
  alerts: NewAlert[];
  profiles: Map<string, StoredProfile>;
  config: ScoringConfig;
  audit: unknown[];
}

/** IngestRepository without a database: a prepared context, and the writes it was asked for. */
class FakeIngest {
  contextCalls: Array<{ tenantId: string; refs: string[]; accountIds: string[]; externalIds: string[] }> = [];
  writes: Write[] = [];
  /** What write() answers: whether the quota reservation succeeded. */
  reserved = true;
  writeError: unknown;

  constructor(public result: IngestContext | undefined) {}

  async context(tenantId: string, refs: string[], accountIds: string[], externalIds: string[]): Promise<IngestContext | undefined> {
    this.contextCalls.push({ tenantId, refs, accountIds, externalIds });
    return this.result;
  }

  async write(tenantId: string, rows: NewTransaction[], alerts: NewAlert[], profiles: Map<string, StoredProfile>, config: ScoringConfig, audit: unknown[]): Promise<{ reserved: boolean; created_at: string }> {
    this.writes.push({ tenantId, rows, alerts, profiles, config, audit });
    if (this.writeError) throw this.writeError;
    return { reserved: this.reserved, created_at: '2026-03-14T09:26:53.589Z' };
  }
}

class FakeQuota {
  calls: string[] = [];
  constructor(public used: number) {}
  async transactionsThisMonth(tenantId: string): Promise<number> {
    this.calls.push(tenantId);
    return this.used;
  }
}

class FakeAudit {
  folded: Array<{ auth: AuthContext | undefined; entry: AuditEntry }> = [];
  detached: Array<{ auth: AuthContext | undefined; entry: AuditEntry }> = [];
  params(auth: AuthContext | undefined, entry: AuditEntry): unknown[] {
    this.folded.push({ auth, entry });
    return [auth?.tenantId, entry.action];
  }
  async recordDetached(auth: AuthContext | undefined, entry: AuditEntry): Promise<void> {
    this.detached.push({ auth, entry });
  }
}

class FakeMail {
  sent: Mail[] = [];
  async send(mail: Mail): Promise<void> {
    this.sent.push(mail);
  }
}

class FakeTransaction {
  afterCommitTasks: Array<() => Promise<void> | void> = [];
  afterCommit(task: () => Promise<void> | void): void {
    this.afterCommitTasks.push(task);
  }
}

function context(overrides: Partial<IngestContext> = {}): IngestContext {
  return {
    ml_config: {},
    max_transactions_per_month: null,
    used: 0,
    byRef: new Map([['acc', ACCOUNT]]),
    knownIds: new Map(),
    histories: new Map(),
    takenExternalIds: new Set(),
    ...overrides,
  };
}

function setup(ingestContext: IngestContext | undefined = context(), used = 0) {
  const ingest = new FakeIngest(ingestContext);
  const quota = new FakeQuota(used);
  const audit = new FakeAudit();
  const mail = new FakeMail();
  const transaction = new FakeTransaction();
  const service = new TransactionService(
    {} as TransactionRepository,
    ingest as unknown as IngestRepository,
    quota as unknown as TransactionQuotaRepository,
    audit as unknown as AuditWriter,
    mail as unknown as MailService,
    transaction as unknown as CurrentTransaction,
  );
  return { service, ingest, quota, audit, mail, transaction };
}

const item = (overrides: Partial<CreateTransactionDto> = {}): CreateTransactionDto => ({ account_ref: 'acc', amount: '12.50', currency: 'EUR', merchant: 'Bakery', ...overrides });

/** The problem a call is refused with (fails the test if it is not refused with one). */
async function problemOf(promise: Promise<unknown>): Promise<{ body: Record<string, unknown>; headers: Record<string, string> }> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ProblemException)) throw new Error(`expected a problem, got ${String(error)}`);
  return { body: error.toProblem(), headers: error.headers };
}

describe('TransactionService ingest planning', () => {
  it("reads the context for the caller's tenant, scores, and writes rows, profiles and the audit row in one write", async () => {
    const { service, ingest, audit, transaction } = setup();
    const result = await service.create(AUTH, item({ external_id: 'ext-1', txn_time: '2026-03-01T12:00:00Z', metadata: { order: 1 } }));

    // The transaction as GET shows it (the row as written, its scoring settings, the write's created_at), its id twice.
    expect(result).toEqual({
      id: result.transaction_id,
      transaction_id: expect.any(String),
      account_id: ACCOUNT,
      account_ref: 'acc',
      external_id: 'ext-1',
      amount: '12.50',
      currency: 'EUR',
      merchant: 'Bakery',
      merchant_category: null,
      country: null,
      ip_address: null,
      device_id: null,
      txn_time: '2026-03-01T12:00:00.000Z',
      status: 'APPROVED',
      risk_score: 0,
      risk_level: 'LOW',
      reasons: [],
      scoring_config: { risk_threshold: 0.7, auto_block: false, notification_email: null, rules_version: 1 },
      metadata: { order: 1 },
      alert_id: null,
      created_at: '2026-03-14T09:26:53.589Z',
    });
    // A single transaction asks for no external_id look-up: the unique index answers on insert.
    expect(ingest.contextCalls).toEqual([{ tenantId: 'tenant-a', refs: ['acc'], accountIds: [], externalIds: [] }]);
    expect(ingest.writes).toHaveLength(1);
    const [write] = ingest.writes;
    expect(write.tenantId).toBe('tenant-a');
    expect(write.rows).toEqual([
      {
        id: result.transaction_id,
        account_id: ACCOUNT,
        account_ref: 'acc',
        external_id: 'ext-1',
        amount: '12.50',
        currency: 'EUR',
        merchant: 'Bakery',
        merchant_category: null,
        country: null,
        ip_address: null,
        device_id: null,
        txn_time: '2026-03-01T12:00:00.000Z',
        status: 'APPROVED',
        risk_score: 0,
        risk_level: 'LOW',
        reasons: [],
        metadata: { order: 1 },
      },
    ]);
    expect(write.alerts).toEqual([]);
    expect([...write.profiles.keys()]).toEqual([ACCOUNT]);
    expect(write.profiles.get(ACCOUNT)).toMatchObject({ count: 1, merchants: ['Bakery'] });
    expect(write.config).toEqual({ risk_threshold: 0.7, auto_block: false, notification_email: null, rules_version: 1 });
    expect(write.audit).toEqual(['tenant-a', 'transaction.create']);
    expect(audit.folded).toEqual([
      {
        auth: AUTH,
        entry: {
          action: 'transaction.create',
          resourceType: 'transaction',
          resourceId: result.transaction_id,
          newValue: { amount: '12.50', currency: 'EUR', status: 'APPROVED', risk_score: 0, alert_id: undefined },
        },
      },
    ]);
    expect(transaction.afterCommitTasks).toEqual([]);
  });

  it('scores the items of a batch in order against one history per account, raises alerts, and counts them', async () => {
    const otherHistory = emptyHistory();
    const { service, ingest, audit } = setup(
      context({ ml_config: { risk_threshold: 0.1, auto_block: true }, knownIds: new Map([[OTHER_ACCOUNT, 'other']]), histories: new Map([[OTHER_ACCOUNT, otherHistory]]) }),
    );
    const answer = await service.createBatch(AUTH, {
      transactions: [
        item({ merchant: 'Bakery', external_id: 'e1' }),
        // The account's second item is scored against the first: a new merchant now fires.
        item({ merchant: 'Casino', merchant_category: '7995', external_id: 'e2' }),
        item({ account_ref: undefined, account_id: OTHER_ACCOUNT.toUpperCase(), merchant: 'Casino', external_id: 'e3' }),
      ],
    });

    // Refs as sent (the repository sorts and dedupes them), account ids lowercased and distinct, a batch's external_ids looked up.
    expect(ingest.contextCalls).toEqual([{ tenantId: 'tenant-a', refs: ['acc', 'acc'], accountIds: [OTHER_ACCOUNT], externalIds: ['e1', 'e2', 'e3'] }]);
    expect(answer).toMatchObject({ count: 3, alerts: 1, blocked: 1 });
    expect(answer.data.map((result) => [result.status, result.risk_score, result.reasons.map((reason) => reason.rule)])).toEqual([
      ['APPROVED', 0, []],
      ['BLOCKED', 0.25, ['NEW_MERCHANT', 'HIGH_RISK_MCC']],
      ['APPROVED', 0, []],
    ]);
    const [write] = ingest.writes;
    expect(write.rows.map((row) => [row.account_id, row.account_ref])).toEqual([[ACCOUNT, 'acc'], [ACCOUNT, 'acc'], [OTHER_ACCOUNT, 'other']]);
    expect(answer.data.map((result) => [result.index, result.external_id])).toEqual([[0, 'e1'], [1, 'e2'], [2, 'e3']]);
    expect(write.rows.map((row) => row.id)).toEqual(answer.data.map((result) => result.transaction_id));
    expect(write.alerts).toEqual([
      {
        id: answer.data[1].alert_id,
        transaction_id: answer.data[1].transaction_id,
        severity: 'LOW',
        risk_score: 0.25,
        reasons: answer.data[1].reasons,
      },
    ]);
    expect(answer.data[0].alert_id).toBeNull();
    // One profile per distinct account, each with everything the batch added to it.
    expect([...write.profiles.keys()]).toEqual([ACCOUNT, OTHER_ACCOUNT]);
    expect(write.profiles.get(ACCOUNT)).toMatchObject({ count: 2, merchants: ['Bakery', 'Casino'] });
    expect(write.profiles.get(OTHER_ACCOUNT)).toMatchObject({ count: 1, merchants: ['Casino'] });
    expect(audit.folded[0].entry).toEqual({
      action: 'transaction.batch_create',
      resourceType: 'transaction',
      newValue: { count: 3, alerts: 1, blocked: 1, first_id: answer.data[0].transaction_id },
    });
  });

  it('mails the notification address only after commit, and only when an alert is raised', async () => {
    const mlConfig = { risk_threshold: 0.1, notification_email: 'fraud@a.example' };
    const quiet = setup(context({ ml_config: mlConfig }));
    await quiet.service.create(AUTH, item());
    expect(quiet.transaction.afterCommitTasks).toEqual([]);

    const { service, transaction, mail } = setup(context({ ml_config: mlConfig }));
    const result = await service.create(AUTH, item({ merchant_category: '7995' }));
    expect(result).toMatchObject({ status: 'REVIEW', alert_id: expect.any(String) });
    expect(mail.sent).toEqual([]);
    expect(transaction.afterCommitTasks).toHaveLength(1);
    await transaction.afterCommitTasks[0]();
    expect(mail.sent).toEqual([{ to: 'fraud@a.example', subject: 'FraudGuard: 1 fraud alert raised', text: expect.stringContaining(result.transaction_id) }]);
    expect(mail.sent[0].text).toContain(`alert ${result.alert_id}`);
  });

  it('answers 404 naming every account_id that is not an account of the tenant', async () => {
    const { service, ingest } = setup(context({ knownIds: new Map([[ACCOUNT, 'acc']]) }));
    const single = await problemOf(service.create(AUTH, item({ account_ref: undefined, account_id: OTHER_ACCOUNT })));
    expect(single.body).toMatchObject({ status: 404, detail: 'Account not found', errors: [{ field: 'account_id', message: 'account not found' }] });
    const batch = await problemOf(
      service.createBatch(AUTH, {
        transactions: [item({ account_ref: undefined, account_id: ACCOUNT }), item({ account_ref: undefined, account_id: OTHER_ACCOUNT }), item({ account_ref: undefined, account_id: 'ffffffff-0000-4000-8000-000000000000' })],
      }),
    );
    expect(batch.body).toMatchObject({
      status: 404,
      detail: '2 accounts not found',
      errors: [
        { field: 'transactions.1.account_id', message: 'account not found' },
        { field: 'transactions.2.account_id', message: 'account not found' },
      ],
    });
    expect(ingest.writes).toEqual([]);
  });

  it('answers one 409 naming external_ids repeated in the batch and those the tenant already used, before writing', async () => {
    const { service, ingest } = setup(context({ takenExternalIds: new Set(['used']) }));
    const conflict = await problemOf(
      service.createBatch(AUTH, { transactions: [item({ external_id: 'a' }), item({ external_id: 'used' }), item({ external_id: 'a' }), item({ external_id: 'used' })] }),
    );
    expect(conflict.body).toMatchObject({
      status: 409,
      type: expect.stringMatching(/\/duplicate-external-id$/),
      errors: [
        { field: 'transactions.2.external_id', message: 'repeats transactions.0.external_id' },
        { field: 'transactions.3.external_id', message: 'repeats transactions.1.external_id' },
        { field: 'transactions.1.external_id', message: 'a transaction with this external_id already exists' },
      ],
    });
    expect(ingest.contextCalls[0].externalIds).toEqual(['a', 'used']);
    expect(ingest.writes).toEqual([]);
  });

  it("turns the unique index's refusal of a single transaction's external_id into 409, and lets other errors through", async () => {
    const { service, ingest } = setup();
    ingest.writeError = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'transactions_tenant_external_id_key' });
    expect((await problemOf(service.create(AUTH, item({ external_id: 'x' })))).body).toMatchObject({ status: 409, type: expect.stringMatching(/\/duplicate-external-id$/) });
    const broken = new Error('connection lost');
    ingest.writeError = broken;
    await expect(service.create(AUTH, item())).rejects.toBe(broken);
  });

  it('answers 404 when the tenant is gone', async () => {
    const { service, ingest } = setup();
    ingest.result = undefined;
    expect((await problemOf(service.create(AUTH, item()))).body).toMatchObject({ status: 404, detail: 'Tenant not found' });
  });
});

describe('TransactionService quota', () => {
  const refusal = (limit: number, used: number, requested: number) => ({
    auth: AUTH,
    entry: { action: 'quota.exceeded', resourceType: 'transaction', newValue: { limit, used, requested }, severity: 'WARNING' },
  });

  it('refuses early, without writing, a request that would pass the monthly limit; the refusal is audited detached', async () => {
    const { service, ingest, audit } = setup(context({ max_transactions_per_month: 10, used: 9 }));
    const refused = await problemOf(service.createBatch(AUTH, { transactions: [item(), item()] }));
    expect(refused.body).toMatchObject({ status: 429, type: expect.stringMatching(/\/quota-exceeded$/), limit: 10, used: 9, requested: 2 });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(31 * 86_400);
    expect(ingest.writes).toEqual([]);
    expect(audit.detached).toEqual([refusal(10, 9, 2)]);
  });

  it('lets the last transaction of the month through, and never refuses a plan without a limit', async () => {
    const last = setup(context({ max_transactions_per_month: 10, used: 9 }));
    await last.service.create(AUTH, item());
    expect(last.ingest.writes).toHaveLength(1);
    const unlimited = setup(context({ max_transactions_per_month: null, used: 1e9 }));
    await unlimited.service.createBatch(AUTH, { transactions: [item(), item()] });
    expect(unlimited.ingest.writes).toHaveLength(1);
    expect([...last.audit.detached, ...unlimited.audit.detached]).toEqual([]);
  });

  it('refuses with the fresh count when the reservation fails (a concurrent ingest took the rest), and mails nothing', async () => {
    const { service, ingest, quota, audit, transaction } = setup(
      context({ max_transactions_per_month: 10, used: 8, ml_config: { risk_threshold: 0.1, notification_email: 'fraud@a.example' } }),
      10,
    );
    ingest.reserved = false;
    const refused = await problemOf(service.create(AUTH, item({ merchant_category: '7995' })));
    expect(refused.body).toMatchObject({ status: 429, limit: 10, used: 10, requested: 1 });
    expect(quota.calls).toEqual(['tenant-a']);
    expect(audit.detached).toEqual([refusal(10, 10, 1)]);
    expect(transaction.afterCommitTasks).toEqual([]);
  });
});
