import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CLS_REQ, ClsService } from 'nestjs-cls';
import type { AuthContext } from '../common/auth-context.js';
import { CurrentTransaction } from '../database/current-transaction.js';
import { AUDIT_INSERT, AuditEntry, AuditOrigin, auditParams, originOf } from './audit.entry.js';
import { DetachedAuditWriter } from './detached-audit.writer.js';

export type { AuditEntry, AuditSeverity } from './audit.entry.js';

/**
 * Writes one audit_logs row in the current transaction, so the row exists exactly when the change
 * it describes does, in the transaction's tenant. The actor (user, or API key id and prefix) comes
 * from the caller; IP, user agent and request id from the request the transaction serves;
 * secret-looking keys in old/new values are redacted. The insert takes no tenant-wide lock: the
 * sealer links the row into the tenant's hash chain after its transaction has committed.
 */
@Injectable()
export class AuditWriter {
  constructor(
    private readonly transaction: CurrentTransaction,
    private readonly cls: ClsService,
    private readonly detached: DetachedAuditWriter,
  ) {}

  /** Who acted (`auth`) and from where (the request of the current async context, if any). */
  origin(auth: AuthContext | undefined): AuditOrigin {
    const request = this.cls.isActive() ? this.cls.get<FastifyRequest | undefined>(CLS_REQ) : undefined;
    return originOf(request, auth);
  }

  async record(auth: AuthContext | undefined, entry: AuditEntry): Promise<void> {
    await this.transaction.manager.query(AUDIT_INSERT, this.params(auth, entry));
  }

  /**
   * The row as AUDIT_INSERT's parameters (AUDIT_COLUMNS order, tenant first), for a writer that
   * folds the audit insert into its own statement; the same redaction and origin as record().
   */
  params(auth: AuthContext | undefined, entry: AuditEntry): unknown[] {
    const tenantId = this.transaction.tenantId;
    if (!tenantId) throw new Error('An audit row needs the transaction to have a tenant');
    return auditParams(tenantId, entry, this.origin(auth));
  }

  /**
   * For refusals (quota, rate limit, login failure): the row is committed in its own short
   * transaction, so it stays even though the request then fails and rolls back. Never use it for a
   * change the request makes (that row must commit or roll back with the change). Inside a
   * transaction the write waits until that transaction has ended, so it never needs a second pool
   * connection while the request holds one; it still happens before the answer is sent.
   * `tenantId` defaults to the current transaction's tenant, then the caller's.
   */
  async recordDetached(auth: AuthContext | undefined, entry: AuditEntry, tenantId?: string): Promise<void> {
    const inTransaction = this.transaction.active;
    const tenant = tenantId ?? (inTransaction ? this.transaction.tenantId : null) ?? auth?.tenantId;
    if (!tenant) throw new Error('recordDetached needs a tenant');
    const origin = this.origin(auth);
    if (inTransaction) this.transaction.afterEnd(() => this.detached.write(tenant, entry, origin));
    else await this.detached.write(tenant, entry, origin);
  }
}
