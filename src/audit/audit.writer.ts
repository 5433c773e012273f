import { Inject, Injectable, Scope } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { TenantConnection } from '../database/tenant-connection.js';

export type AuditSeverity = 'INFO' | 'WARNING' | 'CRITICAL';

export interface AuditEntry {
  action: string;
  resourceType?: string;
  resourceId?: string | number;
  oldValue?: unknown;
  newValue?: unknown;
  severity?: AuditSeverity;
  /** Defaults to the caller's user; set for events about someone else (login of a user, …). */
  userId?: number | null;
}

/**
 * Writes one audit_logs row in the request's own transaction, so the row exists exactly when the
 * change it describes does. The actor (user, or API key id and prefix), IP, user agent and request
 * id come from the request.
 */
@Injectable({ scope: Scope.REQUEST })
export class AuditWriter {
  constructor(
    private readonly db: TenantConnection,
    @Inject(REQUEST) private readonly request: FastifyRequest,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const auth = this.request.auth;
    const actor = auth?.apiKeyId ? { api_key_id: auth.apiKeyId, api_key_prefix: auth.apiKeyPrefix } : undefined;
    const newValue = actor ? { ...(entry.newValue as object | undefined), actor } : entry.newValue;
    await this.db.query(
      `INSERT INTO audit_logs (tenant_id, user_id, action, resource_type, resource_id, ip_address, user_agent,
                               request_id, old_value, new_value, severity)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        this.db.tenantId,
        entry.userId !== undefined ? entry.userId : auth?.userId ?? null,
        entry.action,
        entry.resourceType ?? null,
        entry.resourceId === undefined ? null : String(entry.resourceId),
        this.request.ip ?? null,
        this.request.headers['user-agent'] ?? null,
        this.request.id,
        entry.oldValue === undefined ? null : JSON.stringify(entry.oldValue),
        newValue === undefined ? null : JSON.stringify(newValue),
        entry.severity ?? 'INFO',
      ],
    );
  }
}
