import { Injectable } from '@nestjs/common';
import { AuditWriter } from '../audit/audit.writer.js';
import type { AuthContext } from '../common/auth-context.js';
import { keysetAfter } from '../common/keyset.js';
import { toPage } from '../common/pagination.js';
import { NotFoundProblem, ProblemException, ValidationProblem } from '../common/problem.js';
import { type AlertDetailView, type AlertListQuery, type AlertPage, type AlertView, alertView, RESOLUTIONS, type UpdateAlertDto } from './alert.dto.js';
import { AlertChange, AlertRepository } from './alert.repository.js';
import { TransactionRepository } from './transaction.repository.js';

const AUDITED_FIELDS = ['handled', 'resolution', 'note', 'assignee_id'] as const;

@Injectable()
export class AlertService {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly transactions: TransactionRepository,
    private readonly audit: AuditWriter,
  ) {}

  async list(auth: AuthContext, query: AlertListQuery): Promise<AlertPage> {
    const limit = query.limit ?? 50;
    const rows = await this.alerts.list(auth.tenantId, {
      handled: query.handled,
      severity: query.severity,
      from: query.from,
      to: query.to,
      after: keysetAfter('alerts', query.starting_after),
      limit,
    });
    const page = toPage('alerts', rows, limit, (row) => [row.cursorTime, row.alert.id]);
    return { ...page, data: page.data.map((row) => alertView(row.alert)) };
  }

  async get(auth: AuthContext, id: string): Promise<AlertDetailView> {
    const alert = await this.alerts.findById(auth.tenantId, id);
    if (!alert) throw new NotFoundProblem('Alert');
    const transaction = await this.transactions.findById(auth.tenantId, alert.transactionId);
    return { ...alertView(alert), transaction: transaction ?? null };
  }

  /**
   * Works an alert: a resolution implies handled; reopening (handled: false) clears the resolution
   * and who handled it. The audit row carries the old and new value of every field that changed.
   */
  async update(auth: AuthContext, id: string, dto: UpdateAlertDto): Promise<AlertView> {
    if (AUDITED_FIELDS.every((name) => dto[name] === undefined)) {
      throw new ValidationProblem([{ field: 'body', message: 'at least one of handled, resolution, note, assignee_id is required' }]);
    }
    if (dto.handled === false && dto.resolution) {
      throw new ProblemException(422, 'invalid-alert-change', 'Invalid alert change', 'An alert with a resolution is handled: do not send handled: false with it');
    }
    const found = await this.alerts.findByIdForUpdate(auth.tenantId, id);
    if (!found) throw new NotFoundProblem('Alert');
    if (dto.assignee_id !== undefined && dto.assignee_id !== null && !(await this.alerts.userExists(auth.tenantId, dto.assignee_id))) {
      throw new ProblemException(422, 'unknown-assignee', 'Unknown assignee', 'assignee_id is not a user of this organization', {
        errors: [{ field: 'assignee_id', message: 'not a user of this organization' }],
      });
    }

    const handled = dto.handled ?? (dto.resolution ? true : found.handled);
    const resolution = !handled ? null : dto.resolution !== undefined ? dto.resolution : found.resolution;
    if (resolution !== null && !(RESOLUTIONS as readonly string[]).includes(resolution)) {
      // Alerts converted from a single-tenant installation may hold a resolution the API does not
      // know; the table's check (NOT VALID for them) refuses to write it again.
      throw new ProblemException(422, 'legacy-resolution', 'Legacy resolution', `This alert's resolution "${resolution}" comes from the single-tenant installation: send a resolution (one of ${RESOLUTIONS.join(', ')}) or handled: false with the change`, {
        errors: [{ field: 'resolution', message: `required: the alert holds the legacy resolution "${resolution}"` }],
      });
    }
    const change: AlertChange = {
      handled,
      resolution,
      note: dto.note !== undefined ? dto.note : found.note,
      assigneeId: dto.assignee_id !== undefined ? dto.assignee_id : found.assigneeId,
      handledBy: !handled ? null : found.handled ? found.handledBy : auth.userId ?? null,
      stampHandledAt: handled === found.handled ? undefined : handled,
    };
    const old = alertView(found);
    const updatedAlert = await this.alerts.update(auth.tenantId, found, change);
    if (!updatedAlert) throw new NotFoundProblem('Alert');
    const updated = alertView(updatedAlert);

    const oldValue: Record<string, unknown> = {};
    const newValue: Record<string, unknown> = {};
    for (const name of AUDITED_FIELDS) {
      if (old[name] !== updated[name]) {
        oldValue[name] = old[name];
        newValue[name] = updated[name];
      }
    }
    await this.audit.record(auth, { action: 'alert.update', resourceType: 'fraud_alert', resourceId: id, oldValue, newValue });
    return updated;
  }
}
