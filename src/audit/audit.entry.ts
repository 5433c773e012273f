import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../common/auth-context.js';
import { redactSecrets } from './audit.redaction.js';

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

/** Who acted and from where, when that is not a tenant's request (operators, the CLI). */
export interface AuditOrigin {
  userId?: number | null;
  ipAddress?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  /** Merged into new_value.actor (API key id/prefix, operator, cli). */
  actor?: Record<string, unknown>;
}

/** The columns auditParams() fills, in its order. */
export const AUDIT_COLUMNS = `tenant_id, user_id, action, resource_type, resource_id, ip_address, user_agent, request_id, old_value, new_value, severity`;

export const AUDIT_INSERT = `INSERT INTO audit_logs (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

/**
 * The actor (`auth`), and the IP, user agent and request id of the request, when there is one; an
 * operator outside any request brings its own user agent and request id.
 */
export function originOf(request: FastifyRequest | undefined, auth: AuthContext | undefined): AuditOrigin {
  const operator = auth?.operator;
  return {
    userId: auth?.userId ?? null,
    ipAddress: request?.ip ?? null,
    userAgent: request?.headers['user-agent'] ?? operator?.userAgent ?? null,
    requestId: request?.id ?? operator?.requestId ?? null,
    actor: auth?.apiKeyId ? { api_key_id: auth.apiKeyId, api_key_prefix: auth.apiKeyPrefix } : operator?.actor,
  };
}

/** The parameters of AUDIT_INSERT; secrets are redacted here, so no writer can forget to. */
export function auditParams(tenantId: string, entry: AuditEntry, origin: AuditOrigin): unknown[] {
  const newValue = redactSecrets(entry.newValue);
  const withActor =
    origin.actor === undefined
      ? newValue
      : { ...(newValue !== null && typeof newValue === 'object' && !Array.isArray(newValue) ? newValue : newValue === undefined ? {} : { value: newValue }), actor: origin.actor };
  return [
    tenantId,
    entry.userId !== undefined ? entry.userId : origin.userId ?? null,
    entry.action,
    entry.resourceType ?? null,
    entry.resourceId === undefined ? null : String(entry.resourceId),
    origin.ipAddress ?? null,
    origin.userAgent ? origin.userAgent.slice(0, 1024) : null,
    origin.requestId ?? null,
    entry.oldValue === undefined ? null : JSON.stringify(redactSecrets(entry.oldValue)),
    withActor === undefined ? null : JSON.stringify(withActor),
    entry.severity ?? 'INFO',
  ];
}

/**
 * Walks one tenant's chain inside PostgreSQL ($1 = tenant): each row's hash recomputed over its
 * canonical form and its prev_hash compared with the previous row's hash. One pass, nothing loaded.
 * Names are schema-qualified: fg_audit_hash is inlined into this query, in the caller's session.
 */
export const VERIFY_CHAIN_SQL = `SELECT count(*)::int AS checked, (min(id) FILTER (WHERE broken))::pg_catalog.text AS first_broken_id
  FROM (SELECT a.id,
               a.hash IS DISTINCT FROM public.fg_audit_hash(a)
               OR a.prev_hash IS DISTINCT FROM lag(a.hash) OVER (ORDER BY a.id) AS broken
          FROM public.audit_logs a WHERE a.tenant_id = $1) chain`;
