import type { FastifyReply } from 'fastify';
import { once } from 'node:events';
import { AUDIT_COLUMNS, AuditLogRow } from './audit.repository.js';

/** A cell that a spreadsheet would run as a formula is prefixed with a quote (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return AUDIT_COLUMNS.join(',') + '\r\n';
}

export function csvLines(rows: AuditLogRow[]): string {
  let out = '';
  for (const row of rows) out += AUDIT_COLUMNS.map((column) => csvCell(row[column])).join(',') + '\r\n';
  return out;
}

export function ndjsonLines(rows: AuditLogRow[]): string {
  let out = '';
  for (const row of rows) out += JSON.stringify(row) + '\n';
  return out;
}

/**
 * A response body written straight to the socket while the handler still runs, so the rows are
 * read inside the request's transaction (the TenantContext interceptor commits only when the
 * handler returns). Fastify is told to keep out (hijack); its headers (X-Request-Id) are copied.
 * `write` resolves once the chunk may be followed by another (back-pressure) and answers false
 * when the client has gone, so the producer stops reading.
 */
export class StreamedResponse {
  private closed = false;

  constructor(private readonly reply: FastifyReply, contentType: string, filename: string) {
    reply.hijack();
    const raw = reply.raw;
    raw.on('close', () => (this.closed = true));
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': contentType,
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    });
  }

  async write(chunk: string): Promise<boolean> {
    const raw = this.reply.raw;
    if (this.closed || raw.destroyed) return false;
    if (!raw.write(chunk)) {
      await Promise.race([once(raw, 'drain'), once(raw, 'close')]);
    }
    return !this.closed && !raw.destroyed;
  }

  async end(): Promise<void> {
    const raw = this.reply.raw;
    if (this.closed || raw.destroyed) return;
    raw.end();
    await Promise.race([once(raw, 'finish'), once(raw, 'close')]);
  }

  /** After the status line is out an error can no longer become a problem+json: cut the body short. */
  abort(error: Error): void {
    this.reply.raw.destroy(error);
  }
}
