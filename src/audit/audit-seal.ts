import type pg from 'pg';
import { assertTenantId } from '../database/tenant-transaction.adapter.js';

/**
 * Sealing the audit chains (docs/audit-and-operations.md, "Sealing"), Nest-free: the API's leader
 * (AuditSealer) and the CLI (`audit:seal`) run the same pass on a session connection of the app role.
 * The database does the linking (fg_audit_seal, migration 0050); this side finds the tenants with
 * unsealed rows and calls it in short transactions, one tenant at a time.
 */

/** A session of the app role: a pg.Client, or a pool client held for the whole pass. */
export type SealSession = Pick<pg.ClientBase, 'query' | 'escapeLiteral'>;

/**
 * Session-level advisory lock key of the sealer leader ('fgaudits' in ASCII), above the int4 range
 * of the hashtext() keys used elsewhere. Advisory locks are per database: one leader per database.
 */
export const AUDIT_SEALER_LOCK_KEY = '7378973671293547635';

export interface TenantSealStatus {
  tenantId: string;
  /** Unsealed rows, including those above the horizon (their transactions may still be running). */
  pending: number;
  oldest: Date;
}

export interface SealPassResult {
  /** Rows sealed by this pass. */
  sealed: number;
  /** Tenants that had unsealed rows when the pass started. */
  tenants: number;
}

export interface SealBacklog {
  unsealedRows: number;
  /** Age of the oldest unsealed row in seconds, 0 when there is none. */
  lagSeconds: number;
}

/** Cross-tenant, through the narrow definer function: only tenants with unsealed rows. */
export const SEAL_STATUS_SQL = `SELECT tenant_id, pending::int AS pending, oldest FROM public.fg_audit_seal_status() ORDER BY oldest`;

/** The /metrics gauges in one statement; clock_timestamp(), not the statement's start, for the age. */
export const SEAL_BACKLOG_SQL = `SELECT COALESCE(sum(pending), 0)::float8 AS unsealed_rows,
    GREATEST(COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(oldest)), 0), 0)::float8 AS lag_seconds
  FROM public.fg_audit_seal_status()`;

/** Takes the leader lock if it is free; held until the session ends or unlocks it. */
export async function tryLeadSealing(session: SealSession): Promise<boolean> {
  const { rows } = await session.query(`SELECT pg_try_advisory_lock(${AUDIT_SEALER_LOCK_KEY}) AS locked`);
  return rows[0].locked === true;
}

export async function readSealStatus(session: Pick<pg.ClientBase, 'query'>): Promise<TenantSealStatus[]> {
  const { rows } = await session.query(SEAL_STATUS_SQL);
  return rows.map((row) => ({ tenantId: row.tenant_id, pending: row.pending, oldest: row.oldest }));
}

/**
 * Seals up to `batch` of the tenant's rows below the horizon in one transaction, sent as one
 * message (BEGIN, the tenant set transaction-locally as for a request, the seal, COMMIT).
 * Returns how many were sealed: fewer than `batch` means none is left below the horizon.
 */
export async function sealTenant(session: SealSession, tenantId: string, batch: number): Promise<number> {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`seal batch must be a positive integer, got ${batch}`);
  const sql =
    `BEGIN; SELECT set_config('app.current_tenant', ${session.escapeLiteral(assertTenantId(tenantId))}, true); ` +
    `SELECT public.fg_audit_seal(${batch}) AS sealed; COMMIT`;
  try {
    const results = (await session.query(sql)) as unknown as pg.QueryResult[];
    return results[2].rows[0].sealed;
  } catch (error) {
    // An error inside the message leaves its transaction open and aborted.
    await session.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * One pass: every tenant with unsealed rows, a batch each in turn (a busy tenant does not hold the
 * others back), until none has more below the horizon. `shouldStop` is checked between batches.
 */
export async function runSealPass(
  session: SealSession,
  options: { batch: number; shouldStop?: () => boolean; onSealed?: (rows: number) => void },
): Promise<SealPassResult> {
  const status = await readSealStatus(session);
  let queue = status.map((tenant) => tenant.tenantId);
  let sealed = 0;
  while (queue.length > 0) {
    const again: string[] = [];
    for (const tenantId of queue) {
      if (options.shouldStop?.()) return { sealed, tenants: status.length };
      const rows = await sealTenant(session, tenantId, options.batch);
      sealed += rows;
      if (rows > 0) options.onSealed?.(rows);
      if (rows === options.batch) again.push(tenantId);
    }
    queue = again;
  }
  return { sealed, tenants: status.length };
}
