import { Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { AUDIT_INSERT, AuditEntry, auditParams, AuditOrigin } from './audit.entry.js';

/**
 * Audit rows that must outlive the request's transaction: refusals (quota, rate limit, login
 * failure) whose request rolls back, or that happen in a guard before any transaction exists.
 * Each call is its own short transaction (a new one even inside another) on a pooled app-role
 * connection, with the tenant set transaction-locally like every request, so RLS applies unchanged and
 * the sealer chains the row like any other. Inside a handler prefer `AuditWriter.recordDetached`.
 */
@Injectable()
export class DetachedAuditWriter {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  write(tenantId: string, entry: AuditEntry, origin: AuditOrigin): Promise<void> {
    return this.txHost.withTransaction(Propagation.RequiresNew, { tenantId }, async () => {
      await this.txHost.tx.query(AUDIT_INSERT, auditParams(tenantId, entry, origin));
    });
  }
}
