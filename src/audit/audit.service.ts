import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthContext } from '../common/auth-context.js';
import { toPage } from '../common/pagination.js';
import { CurrentTransaction } from '../database/current-transaction.js';
import type { AuditChainVerification, AuditLogPage, AuditLogQuery } from './audit.dto.js';
import { csvHeader, csvLines, ndjsonLines, StreamedResponse } from './audit.export.js';
import { AuditRepository } from './audit.repository.js';

@Injectable()
export class AuditService {
  constructor(
    private readonly audit: AuditRepository,
    private readonly transaction: CurrentTransaction,
  ) {}

  async list(auth: AuthContext, query: AuditLogQuery): Promise<AuditLogPage> {
    const limit = query.limit ?? 50;
    return toPage('audit-logs', await this.audit.list(auth.tenantId, query, limit), limit, (row) => [row.id]);
  }

  /**
   * The list as JSON, or the whole filtered trail as CSV / NDJSON streamed in batches. The JSON page
   * is sent once the transaction has committed; a stream is written while it is still open.
   */
  async respond(auth: AuthContext, query: AuditLogQuery, reply: FastifyReply): Promise<void> {
    if (query.format === 'csv' || query.format === 'ndjson') return this.export(auth, query, reply, query.format);
    const page = await this.list(auth, query);
    this.transaction.afterCommit(() => {
      reply.send(page);
    });
  }

  private async export(auth: AuthContext, query: AuditLogQuery, reply: FastifyReply, format: 'csv' | 'ndjson'): Promise<void> {
    const body =
      format === 'csv'
        ? new StreamedResponse(reply, 'text/csv; charset=utf-8', 'audit-logs.csv')
        : new StreamedResponse(reply, 'application/x-ndjson; charset=utf-8', 'audit-logs.ndjson');
    try {
      if (format === 'csv' && !(await body.write(csvHeader()))) return;
      await this.audit.forEachBatch(auth.tenantId, query, (rows) => body.write(format === 'csv' ? csvLines(rows) : ndjsonLines(rows)));
      await body.end();
    } catch (error) {
      body.abort(error as Error);
      throw error;
    }
  }

  /** `valid` speaks for the sealed rows; rows written since the last seal are only counted (`pending`). */
  async verify(auth: AuthContext): Promise<AuditChainVerification> {
    const { checked, first_broken_id, pending } = await this.audit.verifyChain(auth.tenantId);
    return { valid: first_broken_id === null, checked, first_broken_id, pending };
  }
}
