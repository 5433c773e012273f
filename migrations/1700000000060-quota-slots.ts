import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedRoles, readDeploymentRoles } from '../src/database/roles.js';
import { CURRENT_QUOTA_MONTH } from '../src/transactions/quota-month.js';
import { column, constraintNamed, primaryKey, sameColumns } from './catalog.js';
import { buildIndexConcurrently, inShortTransaction, validateConstraint } from './short-locks.js';

/** Counter rows per tenant and month: at most this many reservations are ever in flight unseen. */
export const QUOTA_SLOTS = 16;
/** The most one call may reserve: a batch's maximum (BATCH_MAX); larger counts are refused with an error. */
export const QUOTA_RESERVE_MAX = 1000;

/** Adds p_count to a slot row no other transaction holds, among those `where` picks, in `order`. */
function takeFreeSlot(where: string, order = ''): string {
  return `UPDATE public.tenant_monthly_usage u SET transactions = u.transactions + p_count, updated_at = now()
     WHERE u.tenant_id = p_tenant AND u.month = v_month
       AND u.slot = (SELECT f.slot FROM public.tenant_monthly_usage f
                      WHERE f.tenant_id = p_tenant AND f.month = v_month AND ${where}
                      ${order} LIMIT 1 FOR UPDATE SKIP LOCKED)`;
}

/**
 * Inserts the month's slot rows this statement does not see, in slot order. Only those: a conflict
 * on an existing row would wait for whoever holds it. A row another transaction is inserting right
 * now is waited for (the unique index makes us), and skipped once it commits.
 */
const CREATE_MISSING_SLOTS = `INSERT INTO public.tenant_monthly_usage (tenant_id, month, slot)
    SELECT p_tenant, v_month, s FROM pg_catalog.generate_series(0, ${QUOTA_SLOTS - 1}) AS s
     WHERE NOT EXISTS (SELECT FROM public.tenant_monthly_usage e WHERE e.tenant_id = p_tenant AND e.month = v_month AND e.slot = s)
     ORDER BY s
    ON CONFLICT DO NOTHING`;

/**
 * Adds p_count to one slot row of the month, whose lock the transaction then holds until it ends:
 * the backend's own if free (one row read); else the next free one; else the month's missing rows
 * are created (in slot order) and one of those taken; else — all sixteen held by others — the
 * backend's own, waiting for it.
 */
const TAKE_SLOT = `
    ${takeFreeSlot('f.slot = v_home')};
    IF NOT FOUND THEN
      ${takeFreeSlot('true', `ORDER BY (f.slot + ${QUOTA_SLOTS} - v_home) % ${QUOTA_SLOTS}`)};
      IF NOT FOUND THEN
        ${CREATE_MISSING_SLOTS};
        ${takeFreeSlot('true')};
        IF NOT FOUND THEN
          UPDATE public.tenant_monthly_usage u SET transactions = u.transactions + p_count, updated_at = now()
           WHERE u.tenant_id = p_tenant AND u.month = v_month AND u.slot = v_home;
        END IF;
      END IF;
    END IF;`;

/**
 * Reserves p_count transactions of this UTC month's quota for the calling transaction, or answers
 * false when they do not fit. Caller's rights: RLS applies, the tenant must be the current one.
 * Its argument is in docs/transactions.md ("Monthly quota"); in short:
 *
 * - every reservation adds to ONE slot row of (tenant, month) and holds that row's lock until its
 *   transaction ends, so at any moment at most QUOTA_SLOTS reservations are uncommitted;
 * - fast path, in a subtransaction: take a free slot (SKIP LOCKED, the backend's own first), add to
 *   it, then — in a new statement, so with a snapshot taken after the lock — sum the slots; accept if
 *   the sum plus what the other QUOTA_SLOTS - 1 slots' holders can still commit (each at most
 *   QUOTA_RESERVE_MAX) stays within the limit. Otherwise (near the limit) the subtransaction rolls
 *   back, which undoes the addition and releases the slot, and
 * - the slow path runs: create the month's missing slot rows (waiting for anyone creating them),
 *   lock all of them in slot order, sum exactly, add only if it fits.
 *
 * Needs READ COMMITTED (a new snapshot per statement); anything else is refused with an error.
 */
const RESERVE_FUNCTION = `
  CREATE OR REPLACE FUNCTION fg_quota_reserve(p_tenant varchar, p_count integer) RETURNS boolean
    LANGUAGE plpgsql VOLATILE
  AS $fn$
  DECLARE
    v_month date := ${CURRENT_QUOTA_MONTH};
    v_home smallint := pg_catalog.pg_backend_pid() % ${QUOTA_SLOTS};
    v_limit bigint;
    v_used bigint;
  BEGIN
    IF p_count IS NULL OR p_count < 1 OR p_count > ${QUOTA_RESERVE_MAX} THEN
      RAISE EXCEPTION 'fg_quota_reserve: count % is outside 1..${QUOTA_RESERVE_MAX}', p_count USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
      RAISE EXCEPTION 'fg_quota_reserve needs READ COMMITTED' USING ERRCODE = 'feature_not_supported';
    END IF;

    SELECT t.max_transactions_per_month INTO v_limit FROM public.tenants t WHERE t.tenant_id = p_tenant;
    IF NOT FOUND OR p_count > v_limit THEN
      RETURN false;
    END IF;

    IF v_limit IS NULL THEN
      ${TAKE_SLOT}
      RETURN true;
    END IF;

    IF p_count + ${(QUOTA_SLOTS - 1) * QUOTA_RESERVE_MAX} <= v_limit THEN
      BEGIN
        ${TAKE_SLOT}
        -- A new statement: its snapshot is taken after the lock.
        SELECT t.max_transactions_per_month,
               (SELECT coalesce(sum(u.transactions), 0) FROM public.tenant_monthly_usage u
                 WHERE u.tenant_id = p_tenant AND u.month = v_month)
          INTO v_limit, v_used
          FROM public.tenants t WHERE t.tenant_id = p_tenant;
        IF v_limit IS NULL OR v_used + ${(QUOTA_SLOTS - 1) * QUOTA_RESERVE_MAX} <= v_limit THEN
          RETURN true;
        END IF;
        RAISE SQLSTATE 'FGQ01'; -- too close to the limit: undo, release the slot, go the slow way
      EXCEPTION WHEN SQLSTATE 'FGQ01' THEN
        NULL;
      END;
    END IF;

    -- Slow path: every slot row exists (rows being created by others are waited for), all locked in order.
    ${CREATE_MISSING_SLOTS};
    PERFORM FROM public.tenant_monthly_usage u
      WHERE u.tenant_id = p_tenant AND u.month = v_month
      ORDER BY u.slot FOR UPDATE;
    -- No reservation is in flight any more: the sum is exact.
    SELECT t.max_transactions_per_month,
           (SELECT coalesce(sum(u.transactions), 0) FROM public.tenant_monthly_usage u
             WHERE u.tenant_id = p_tenant AND u.month = v_month)
      INTO v_limit, v_used
      FROM public.tenants t WHERE t.tenant_id = p_tenant;
    IF v_used + p_count > v_limit THEN
      RETURN false;
    END IF;
    UPDATE public.tenant_monthly_usage u SET transactions = u.transactions + p_count, updated_at = now()
     WHERE u.tenant_id = p_tenant AND u.month = v_month AND u.slot = v_home;
    RETURN true;
  END
  $fn$`;

/**
 * Migration 60: the monthly quota without a hot row. tenant_monthly_usage gets a `slot` in its key, so
 * a tenant's month is QUOTA_SLOTS counter rows (usage = their sum) and concurrent ingests of one
 * tenant add to different rows; fg_quota_reserve (above) keeps the quota exact.
 *
 * Short locks (short-locks.ts): the column comes with a constant default (catalog only, no
 * rewrite; existing counters become slot 0); the new key's index is built CONCURRENTLY and attached
 * as the primary key in a short transaction; the slot range CHECK is added NOT VALID and validated
 * without blocking writes. Each step looks first for what an interrupted run already did.
 * Servers still running the previous ingest statement fail their ingests once the key has changed
 * (ON CONFLICT (tenant_id, month) has no matching constraint any more): closed, never over quota.
 */
export class QuotaSlots1700000000060 implements MigrationInterface {
  name = 'QuotaSlots1700000000060';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const { app, platform } = quotedRoles(roles);
    const table = 'tenant_monthly_usage';
    if (!(await column(q, table, 'slot'))) await inShortTransaction(q, `ALTER TABLE ${table} ADD COLUMN slot smallint NOT NULL DEFAULT 0`);
    const key = await primaryKey(q, table);
    if (!key || !sameColumns(key.columns, ['tenant_id', 'month', 'slot'])) {
      await buildIndexConcurrently(q, 'tenant_monthly_usage_slot_key', table, '(tenant_id, month, slot)', true);
      await inShortTransaction(
        q,
        `ALTER TABLE ${table} ${key ? `DROP CONSTRAINT ${key.name},` : ''}
           ADD CONSTRAINT tenant_monthly_usage_pkey PRIMARY KEY USING INDEX tenant_monthly_usage_slot_key`,
      );
    }
    if (!(await constraintNamed(q, table, 'tenant_monthly_usage_slot_check'))) {
      await inShortTransaction(q, `ALTER TABLE ${table} ADD CONSTRAINT tenant_monthly_usage_slot_check CHECK (slot >= 0 AND slot < ${QUOTA_SLOTS}) NOT VALID`);
    }
    await validateConstraint(q, table, 'tenant_monthly_usage_slot_check');
    await inShortTransaction(
      q,
      `${RESERVE_FUNCTION};
       REVOKE EXECUTE ON FUNCTION fg_quota_reserve(varchar, integer) FROM PUBLIC;
       GRANT EXECUTE ON FUNCTION fg_quota_reserve(varchar, integer) TO ${app};
       GRANT SELECT ON ${table} TO ${platform};`,
    );
  }

  /** Folds each month's slots back into one row (slot 0's), then restores the one-row key. */
  async down(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const { platform } = quotedRoles(roles);
    await q.query(`
      REVOKE SELECT ON tenant_monthly_usage FROM ${platform};
      DROP FUNCTION fg_quota_reserve(varchar, integer);
      INSERT INTO tenant_monthly_usage AS u (tenant_id, month, slot, transactions, updated_at)
      SELECT tenant_id, month, 0, sum(transactions), max(updated_at) FROM tenant_monthly_usage GROUP BY tenant_id, month
      ON CONFLICT (tenant_id, month, slot) DO UPDATE SET transactions = EXCLUDED.transactions, updated_at = EXCLUDED.updated_at;
      DELETE FROM tenant_monthly_usage WHERE slot <> 0;
      ALTER TABLE tenant_monthly_usage
        DROP CONSTRAINT tenant_monthly_usage_slot_check,
        DROP CONSTRAINT tenant_monthly_usage_pkey,
        ADD CONSTRAINT tenant_monthly_usage_pkey PRIMARY KEY (tenant_id, month);
      ALTER TABLE tenant_monthly_usage DROP COLUMN slot;
    `);
  }
}
