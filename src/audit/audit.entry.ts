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
 * Verifies one tenant's chain inside PostgreSQL ($1 = tenant), in one statement (one snapshot, so the
 * rows and the head agree even while a sealer runs) and one pass, nothing loaded. The walk covers
 * the sealed rows in chain order: the legacy prefix (seq NULL, in id order), then seq 1, 2, … Each
 * row's hash is recomputed over its canonical form, its prev_hash compared with the previous row's
 * hash, and a sealed row's seq must follow the previous one's (the first is 1) without going past
 * the head's. The chain's last row must then be the head's (seq, last_id, hash): a deleted tail is
 * reported as the head's last_id. first_broken_id is the first broken row in chain order; pending
 * counts the rows not sealed yet. Names are schema-qualified: fg_audit_hash is inlined into this
 * query, in the caller's session.
 */
export const VERIFY_CHAIN_SQL = `SELECT w.checked,
       COALESCE(w.first_broken,
                CASE WHEN (COALESCE(h.seq, 0), h.last_id, h.hash) IS DISTINCT FROM (COALESCE(w.last_seq, 0), w.last_id, w.last_hash)
                     THEN COALESCE(h.last_id, w.last_id) END)::pg_catalog.text AS first_broken_id,
       (SELECT count(*)::int FROM public.audit_logs p WHERE p.tenant_id = $1 AND p.hash IS NULL AND p.seq IS NULL) AS pending
  FROM (SELECT count(*)::int AS checked,
               (pg_catalog.min(ARRAY[c.n, c.id]) FILTER (WHERE c.broken))[2] AS first_broken,
               pg_catalog.max(c.seq) FILTER (WHERE c.last) AS last_seq,
               pg_catalog.max(c.id) FILTER (WHERE c.last) AS last_id,
               pg_catalog.max(c.hash) FILTER (WHERE c.last) AS last_hash
          FROM (SELECT a.id, a.seq, a.hash,
                       pg_catalog.row_number() OVER w AS n,
                       pg_catalog.lead(a.id) OVER w IS NULL AS last,
                       a.hash IS DISTINCT FROM public.fg_audit_hash(a)
                       OR a.prev_hash IS DISTINCT FROM pg_catalog.lag(a.hash) OVER w
                       OR (a.seq IS NOT NULL
                           AND COALESCE(a.seq <> COALESCE(pg_catalog.lag(a.seq) OVER w, 0) + 1
                                        OR a.seq > (SELECT hd.seq FROM public.audit_chain_heads hd WHERE hd.tenant_id = $1), false)) AS broken
                  FROM public.audit_logs a
                 WHERE a.tenant_id = $1 AND (a.hash IS NOT NULL OR a.seq IS NOT NULL)
                WINDOW w AS (ORDER BY a.seq NULLS FIRST, a.id)) c) w
  LEFT JOIN public.audit_chain_heads h ON h.tenant_id = $1`;
