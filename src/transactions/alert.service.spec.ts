import type { AuditEntry, AuditWriter } from '../audit/audit.writer.js';
import type { AuthContext } from '../common/auth-context.js';
import { decodeCursor } from '../common/pagination.js';
import { ProblemException } from '../common/problem.js';
import type { AlertChange, AlertListFilter, AlertRepository } from './alert.repository.js';
import { AlertService } from './alert.service.js';
import { FraudAlert } from './fraud-alert.entity.js';
import type { TransactionView } from './transaction.dto.js';
import type { TransactionRepository } from './transaction.repository.js';

const ANALYST: AuthContext = { tenantId: 'tenant-a', via: 'jwt', userId: 5, role: 'ANALYST' };
const API_KEY: AuthContext = { tenantId: 'tenant-a', via: 'api_key', apiKeyId: 9, scopes: ['write:alerts'] };
const ALERT_ID = '0192a4c8-0000-7000-8000-0000000000a1';
const CREATED = new Date('2026-03-01T12:00:00.000Z');
const NOW = new Date('2026-03-02T08:30:00.123Z');

function alert(overrides: Partial<FraudAlert> = {}): FraudAlert {
  return Object.assign(new FraudAlert(), {
    tenantId: 'tenant-a',
    id: ALERT_ID,
    transactionId: '0192a4c8-0000-7000-8000-0000000000b1',
    // What AlertRepository reads of the transaction: its account.
    transaction: { id: '0192a4c8-0000-7000-8000-0000000000b1', accountId: '0192a4c8-0000-7000-8000-0000000000c1', account: { externalRef: 'cust-1' } },
    severity: 'MEDIUM',
    riskScore: '0.3000',
    reasons: [{ rule: 'HIGH_RISK_MCC', contribution: 0.2, detail: 'x' }],
    handled: false,
    resolution: null,
    note: null,
    assigneeId: null,
    handledBy: null,
    legacyAssigneeId: null,
    legacyHandledBy: null,
    handledAt: null,
    createdAt: CREATED,
    updatedAt: CREATED,
    ...overrides,
  });
}

/** AlertRepository over a map of one tenant's alerts; an update stamps NOW as the database's now(). */
class FakeAlerts {
  readonly stored = new Map<string, FraudAlert>();
  readonly users = new Set<number>([5, 6]);
  readonly locked: string[] = [];
  readonly changes: AlertChange[] = [];
  listed?: { tenantId: string; filter: AlertListFilter };

  private find(tenantId: string, id: string): FraudAlert | null {
    const found = this.stored.get(id);
    return found && found.tenantId === tenantId ? found : null;
  }

  async findById(tenantId: string, id: string): Promise<FraudAlert | null> {
    return this.find(tenantId, id);
  }

  async findByIdForUpdate(tenantId: string, id: string): Promise<FraudAlert | null> {
    this.locked.push(id);
    return this.find(tenantId, id);
  }

  async list(tenantId: string, filter: AlertListFilter): Promise<Array<{ alert: FraudAlert; cursorTime: string }>> {
    this.listed = { tenantId, filter };
    return [...this.stored.values()].map((stored) => ({ alert: stored, cursorTime: `${stored.createdAt.toISOString().slice(0, -1)}456Z` }));
  }

  async update(tenantId: string, current: FraudAlert, change: AlertChange): Promise<FraudAlert | undefined> {
    if (!this.find(tenantId, current.id)) return undefined;
    this.changes.push(change);
    const handledAt = change.stampHandledAt === undefined ? current.handledAt : change.stampHandledAt ? NOW : null;
    const { stampHandledAt: _, ...fields } = change;
    const updated = Object.assign(new FraudAlert(), current, fields, { handledAt, updatedAt: NOW });
    this.stored.set(current.id, updated);
    return updated;
  }

  async userExists(tenantId: string, userId: number): Promise<boolean> {
    return tenantId === 'tenant-a' && this.users.has(userId);
  }
}

class FakeTransactions {
  readonly asked: Array<[string, string]> = [];
  constructor(private readonly view: TransactionView | undefined) {}
  async findById(tenantId: string, id: string): Promise<TransactionView | undefined> {
    this.asked.push([tenantId, id]);
    return this.view;
  }
}

class FakeAudit {
  readonly recorded: Array<{ auth: AuthContext | undefined; entry: AuditEntry }> = [];
  async record(auth: AuthContext | undefined, entry: AuditEntry): Promise<void> {
    this.recorded.push({ auth, entry });
  }
}

function setup(stored: FraudAlert = alert(), transaction?: TransactionView) {
  const alerts = new FakeAlerts();
  alerts.stored.set(stored.id, stored);
  const transactions = new FakeTransactions(transaction);
  const audit = new FakeAudit();
  const service = new AlertService(alerts as unknown as AlertRepository, transactions as unknown as TransactionRepository, audit as unknown as AuditWriter);
  return { service, alerts, transactions, audit };
}

async function problemOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ProblemException)) throw new Error(`expected a problem, got ${String(error)}`);
  return error.toProblem();
}

describe('AlertService state transitions', () => {
  it('resolves: a resolution implies handled, stamps handled_at, and records who handled it', async () => {
    const { service, alerts, audit } = setup();
    const updated = await service.update(ANALYST, ALERT_ID, { resolution: 'FRAUD' });
    expect(updated).toMatchObject({ handled: true, resolution: 'FRAUD', handled_by: 5, handled_at: NOW, updated_at: NOW });
    expect(alerts.locked).toEqual([ALERT_ID]);
    expect(alerts.changes).toEqual([{ handled: true, resolution: 'FRAUD', note: null, assigneeId: null, handledBy: 5, stampHandledAt: true }]);
    expect(audit.recorded).toEqual([
      {
        auth: ANALYST,
        entry: {
          action: 'alert.update',
          resourceType: 'fraud_alert',
          resourceId: ALERT_ID,
          oldValue: { handled: false, resolution: null },
          newValue: { handled: true, resolution: 'FRAUD' },
        },
      },
    ]);
  });

  it('keeps who handled it and when, when a handled alert is changed again', async () => {
    const handledAt = new Date('2026-03-01T13:00:00.000Z');
    const { service, alerts, audit } = setup(alert({ handled: true, resolution: 'FRAUD', handledBy: 6, handledAt }));
    const updated = await service.update(ANALYST, ALERT_ID, { resolution: 'DUPLICATE', note: 'same as another' });
    expect(updated).toMatchObject({ handled: true, resolution: 'DUPLICATE', note: 'same as another', handled_by: 6, handled_at: handledAt });
    expect(alerts.changes[0].stampHandledAt).toBeUndefined();
    expect(audit.recorded[0].entry).toMatchObject({ oldValue: { resolution: 'FRAUD', note: null }, newValue: { resolution: 'DUPLICATE', note: 'same as another' } });
  });

  it('reopens: handled false clears the resolution, who handled it and when', async () => {
    const { service, alerts } = setup(alert({ handled: true, resolution: 'FRAUD', handledBy: 6, handledAt: CREATED, note: 'kept' }));
    const updated = await service.update(ANALYST, ALERT_ID, { handled: false });
    expect(updated).toMatchObject({ handled: false, resolution: null, handled_by: null, handled_at: null, note: 'kept' });
    expect(alerts.changes[0]).toEqual({ handled: false, resolution: null, note: 'kept', assigneeId: null, handledBy: null, stampHandledAt: false });
  });

  it('handles without a user when the caller is an API key', async () => {
    const { service } = setup();
    expect(await service.update(API_KEY, ALERT_ID, { handled: true })).toMatchObject({ handled: true, resolution: null, handled_by: null, handled_at: NOW });
  });

  it('assigns a user of the tenant, and null clears assignee and note; fields not sent stay', async () => {
    const { service, audit } = setup(alert({ note: 'old note' }));
    expect(await service.update(ANALYST, ALERT_ID, { assignee_id: 6 })).toMatchObject({ assignee_id: 6, note: 'old note', handled: false });
    expect(await service.update(ANALYST, ALERT_ID, { assignee_id: null, note: null })).toMatchObject({ assignee_id: null, note: null });
    expect(audit.recorded.map((row) => [row.entry.oldValue, row.entry.newValue])).toEqual([
      [{ assignee_id: null }, { assignee_id: 6 }],
      [
        { note: 'old note', assignee_id: 6 },
        { note: null, assignee_id: null },
      ],
    ]);
  });

  it('refuses an empty change (400), a resolution with handled false (422), an unknown assignee (422), and changes nothing', async () => {
    const { service, alerts, audit } = setup();
    expect(await problemOf(service.update(ANALYST, ALERT_ID, {}))).toMatchObject({ status: 400, errors: [{ field: 'body' }] });
    expect(await problemOf(service.update(ANALYST, ALERT_ID, { handled: false, resolution: 'FRAUD' }))).toMatchObject({
      status: 422,
      type: expect.stringMatching(/\/invalid-alert-change$/),
    });
    expect(alerts.locked).toEqual([]);
    const unknown = await problemOf(service.update(ANALYST, ALERT_ID, { assignee_id: 99 }));
    expect(unknown).toMatchObject({ status: 422, type: expect.stringMatching(/\/unknown-assignee$/), errors: [{ field: 'assignee_id' }] });
    expect(alerts.changes).toEqual([]);
    expect(audit.recorded).toEqual([]);
  });

  it("answers 404 for an alert that is not the caller's tenant's", async () => {
    const { service, alerts, audit } = setup(alert({ tenantId: 'tenant-b' }));
    expect(await problemOf(service.update(ANALYST, ALERT_ID, { handled: true }))).toMatchObject({ status: 404, detail: 'Alert not found' });
    expect(await problemOf(service.get(ANALYST, ALERT_ID))).toMatchObject({ status: 404 });
    expect(alerts.changes).toEqual([]);
    expect(audit.recorded).toEqual([]);
  });
});

describe('AlertService reads', () => {
  it("answers an alert in the API's shape, with its transaction read for the caller's tenant", async () => {
    const transaction = { id: '0192a4c8-0000-7000-8000-0000000000b1', amount: '200' } as TransactionView;
    const { service, transactions } = setup(alert(), transaction);
    const answer = await service.get(ANALYST, ALERT_ID);
    expect(JSON.stringify(answer)).toBe(
      JSON.stringify({
        id: ALERT_ID,
        transaction_id: '0192a4c8-0000-7000-8000-0000000000b1',
        account_id: '0192a4c8-0000-7000-8000-0000000000c1',
        account_ref: 'cust-1',
        severity: 'MEDIUM',
        risk_score: 0.3,
        reasons: [{ rule: 'HIGH_RISK_MCC', contribution: 0.2, detail: 'x' }],
        handled: false,
        resolution: null,
        note: null,
        assignee_id: null,
        handled_by: null,
        legacy_assignee_id: null,
        legacy_handled_by: null,
        handled_at: null,
        created_at: '2026-03-01T12:00:00.000Z',
        updated_at: '2026-03-01T12:00:00.000Z',
        transaction,
      }),
    );
    expect(transactions.asked).toEqual([['tenant-a', '0192a4c8-0000-7000-8000-0000000000b1']]);
    const { service: orphan } = setup(alert());
    expect((await orphan.get(ANALYST, ALERT_ID)).transaction).toBeNull();
  });

  it('lists a page for the caller\'s tenant with the filters, and a cursor on (created_at with microseconds, id)', async () => {
    const { service, alerts } = setup();
    alerts.stored.set('0192a4c8-0000-7000-8000-0000000000a2', alert({ id: '0192a4c8-0000-7000-8000-0000000000a2' }));
    const page = await service.list(ANALYST, { limit: 1, handled: false, severity: 'MEDIUM' });
    expect(alerts.listed).toEqual({ tenantId: 'tenant-a', filter: { handled: false, severity: 'MEDIUM', from: undefined, to: undefined, after: undefined, limit: 1 } });
    expect(page.data).toEqual([expect.objectContaining({ id: ALERT_ID, risk_score: 0.3 })]);
    expect(page.has_more).toBe(true);
    expect(decodeCursor('alerts', page.next_cursor!, 2)).toEqual(['2026-03-01T12:00:00.000456Z', ALERT_ID]);
  });
});
