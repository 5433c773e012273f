import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_DATA_SOURCE } from '../database/database.tokens.js';
import { TenantTransaction } from '../database/tenant-transaction.js';
import { AUDIT_INSERT, AuditEntry, auditParams, AuditOrigin } from './audit.entry.js';

/**
 * Audit rows that must outlive the request's transaction: refusals (quota, rate limit, login
 * failure) whose request rolls back, or that happen in a guard before any transaction exists.
 * Each call is its own short transaction on a pooled app-role connection, with the tenant set
 * transaction-locally like every request, so RLS and the hash chain apply unchanged.
 * Singleton: guards can inject it; inside a handler prefer `AuditWriter.recordDetached`.
 */
@Injectable()
export class DetachedAuditWriter {
  constructor(@Inject(APP_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async write(tenantId: string, entry: AuditEntry, origin: AuditOrigin): Promise<void> {
    const tx = await TenantTransaction.begin(this.dataSource, tenantId, false);
    try {
      await tx.query(AUDIT_INSERT, auditParams(tenantId, entry, origin));
      await tx.commit();
    } catch (error) {
      await tx.rollback();
      throw error;
    } finally {
      await tx.release();
    }
  }
}
