import { Inject } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuditWriter } from '../audit/audit.writer.js';
import { keysetAfter, keysetPage } from '../common/keyset.js';
import type { Page } from '../common/pagination.js';
import { NotFoundProblem, ProblemException, ValidationProblem } from '../common/problem.js';
import { RequestBound } from '../database/request-scope.js';
import type { AlertListQuery, AlertView, UpdateAlertDto } from './alert.dto.js';
import { AlertChange, AlertRepository } from './alert.repository.js';
import type { TransactionView } from './transaction.dto.js';
import { TransactionRepository } from './transaction.repository.js';

const AUDITED_FIELDS = ['handled', 'resolution', 'note', 'assignee_id'] as const;

@RequestBound()
export class AlertService {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly transactions: TransactionRepository,
    private readonly audit: AuditWriter,
    @Inject(REQUEST) private readonly request: FastifyRequest,
  ) {}

  async list(query: AlertListQuery): Promise<Page<AlertView>> {
    const limit = query.limit ?? 50;
    const rows = await this.alerts.list({
      handled: query.handled,
      severity: query.severity,
      from: query.from,
      to: query.to,
      after: keysetAfter('alerts', query.starting_after),
      limit,
    });
    return keysetPage('alerts', rows, limit);
  }

  async get(id: string): Promise<AlertView & { transaction: TransactionView | null }> {
    const alert = await this.alerts.findById(id);
    if (!alert) throw new NotFoundProblem('Alert');
    const transaction = await this.transactions.findById(alert.transaction_id);
    return { ...alert, transaction: transaction ?? null };
  }

  /**
   * Works an alert: a resolution implies handled; reopening (handled: false) clears the resolution
   * and who handled it. The audit row carries the old and new value of every field that changed.
   */
  async update(id: string, dto: UpdateAlertDto): Promise<AlertView> {
    if (AUDITED_FIELDS.every((name) => dto[name] === undefined)) {
      throw new ValidationProblem([{ field: 'body', message: 'at least one of handled, resolution, note, assignee_id is required' }]);
    }
    if (dto.handled === false && dto.resolution) {
      throw new ProblemException(422, 'invalid-alert-change', 'Invalid alert change', 'An alert with a resolution is handled: do not send handled: false with it');
    }
    const old = await this.alerts.findById(id, true);
    if (!old) throw new NotFoundProblem('Alert');
    if (dto.assignee_id !== undefined && dto.assignee_id !== null && !(await this.alerts.userExists(dto.assignee_id))) {
      throw new ProblemException(422, 'unknown-assignee', 'Unknown assignee', 'assignee_id is not a user of this organization', {
        errors: [{ field: 'assignee_id', message: 'not a user of this organization' }],
      });
    }

    const handled = dto.handled ?? (dto.resolution ? true : old.handled);
    const change: AlertChange = {
      handled,
      resolution: !handled ? null : dto.resolution !== undefined ? dto.resolution : old.resolution,
      note: dto.note !== undefined ? dto.note : old.note,
      assignee_id: dto.assignee_id !== undefined ? dto.assignee_id : old.assignee_id,
      handled_by: !handled ? null : old.handled ? old.handled_by : this.request.auth?.userId ?? null,
      stampHandledAt: handled === old.handled ? undefined : handled,
    };
    const updated = await this.alerts.update(id, change);

    const oldValue: Record<string, unknown> = {};
    const newValue: Record<string, unknown> = {};
    for (const name of AUDITED_FIELDS) {
      if (old[name] !== updated[name]) {
        oldValue[name] = old[name];
        newValue[name] = updated[name];
      }
    }
    await this.audit.record({ action: 'alert.update', resourceType: 'fraud_alert', resourceId: id, oldValue, newValue });
    return updated;
  }
}
