import { Inject } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';
import { AUDIT_INSERT, AuditEntry, auditParams, originOf } from './audit.entry.js';
import { DetachedAuditWriter } from './detached-audit.writer.js';

export type { AuditEntry, AuditSeverity } from './audit.entry.js';

/**
 * Writes one audit_logs row in the request's own transaction, so the row exists exactly when the
 * change it describes does. The actor (user, or API key id and prefix), IP, user agent and request
 * id come from the request; secret-looking keys in old/new values are redacted; the database
 * appends the row to the tenant's hash chain.
 */
@RequestBound()
export class AuditWriter {
  constructor(
    private readonly db: TenantConnection,
    private readonly detached: DetachedAuditWriter,
    @Inject(REQUEST) private readonly request: FastifyRequest,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.query(AUDIT_INSERT, this.params(entry));
  }

  /**
   * The row as AUDIT_INSERT's parameters (AUDIT_COLUMNS order, tenant first), for a writer that
   * folds the audit insert into its own statement; the same redaction and origin as record().
   */
  params(entry: AuditEntry): unknown[] {
    return auditParams(this.db.tenantId, entry, originOf(this.request));
  }

  /**
   * For refusals (quota, rate limit, login failure): the row is committed in its own short
   * transaction, so it stays even though the request then fails and rolls back. Never use it for a
   * change the request makes (that row must commit or roll back with the change).
   * Inside a request transaction the write waits until that transaction has ended (it may hold the
   * tenant's audit-chain lock, which the detached insert would wait on forever); it still happens
   * before the response is sent. `tenantId` defaults to the caller's tenant.
   */
  async recordDetached(entry: AuditEntry, tenantId?: string): Promise<void> {
    const tenant = tenantId ?? this.request.tenantTx?.tenantId ?? this.request.auth?.tenantId;
    if (!tenant) throw new Error('recordDetached needs a tenant');
    const origin = originOf(this.request);
    const tx = this.request.tenantTx;
    if (tx) tx.afterEnd(() => this.detached.write(tenant, entry, origin));
    else await this.detached.write(tenant, entry, origin);
  }
}
