import type { FastifyReply } from 'fastify';
import { Page, toPage } from '../common/pagination.js';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';
import type { AuditChainVerificationDto, AuditLogQuery } from './audit.dto.js';
import { csvHeader, csvLines, ndjsonLines, StreamedResponse } from './audit.export.js';
import { AuditLogRow, AuditRepository } from './audit.repository.js';

@RequestBound()
export class AuditService {
  constructor(
    private readonly audit: AuditRepository,
    private readonly db: TenantConnection,
  ) {}

  async list(query: AuditLogQuery): Promise<Page<AuditLogRow>> {
    const limit = query.limit ?? 50;
    return toPage('audit-logs', await this.audit.list(query, limit), limit, (row) => [row.id]);
  }

  /**
   * The list as JSON, or the whole filtered trail as CSV / NDJSON streamed in batches. The JSON page
   * is sent once the transaction has committed; a stream is written while it is still open.
   */
  async respond(query: AuditLogQuery, reply: FastifyReply): Promise<void> {
    if (query.format === 'csv' || query.format === 'ndjson') return this.export(query, reply, query.format);
    const page = await this.list(query);
    this.db.tx.afterCommit(() => {
      reply.send(page);
    });
  }

  private async export(query: AuditLogQuery, reply: FastifyReply, format: 'csv' | 'ndjson'): Promise<void> {
    const body =
      format === 'csv'
        ? new StreamedResponse(reply, 'text/csv; charset=utf-8', 'audit-logs.csv')
        : new StreamedResponse(reply, 'application/x-ndjson; charset=utf-8', 'audit-logs.ndjson');
    try {
      if (format === 'csv' && !(await body.write(csvHeader()))) return;
      await this.audit.forEachBatch(query, (rows) => body.write(format === 'csv' ? csvLines(rows) : ndjsonLines(rows)));
      await body.end();
    } catch (error) {
      body.abort(error as Error);
      throw error;
    }
  }

  async verify(): Promise<AuditChainVerificationDto> {
    const { checked, first_broken_id } = await this.audit.verifyChain();
    return { valid: first_broken_id === null, checked, first_broken_id };
  }
}
