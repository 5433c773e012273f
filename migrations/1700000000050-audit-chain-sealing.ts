import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedRoles, readDeploymentRoles } from '../src/database/roles.js';
import { definerFunction, protectTenantTable } from './row-level-security.js';

/** Indexes on audit_logs, built CONCURRENTLY: the table is the biggest a tenant has. */
const INDEXES: [name: string, definition: string][] = [
  // The sealer's work list: a tenant's unsealed rows in chain order. Empty once sealing keeps up.
  ['idx_audit_unsealed', '(tenant_id, txid, id) WHERE hash IS NULL'],
  // The verifier's walk: the legacy prefix (seq NULL, in id order), then the sealed rows by seq.
  ['idx_audit_chain', '(tenant_id, seq NULLS FIRST, id)'],
];

/**
 * The horizon below which a seal may link rows: no transaction that could still commit an audit row
 * with a smaller txid is running. `v_snapshot` is taken before anything else (no lock, no xid of the
 * sealer's own yet). Every xid below the snapshot's xmax that is not in its xip list had finished
 * when it was taken; every xid assigned later is at or above xmax. A running xid holds the horizon
 * back unless pg_stat_activity shows it to be the transaction of a backend connected to another
 * database (a backend never changes database, so such a transaction can never write to this
 * audit_logs): a long transaction elsewhere on the server does not delay sealing. Anything not
 * placed that way (a prepared transaction, a backend gone from the view) holds the horizon back.
 */
const HORIZON = `
    SELECT COALESCE(min(x), pg_snapshot_xmax(v_snapshot))::text::bigint INTO v_horizon
      FROM pg_snapshot_xip(v_snapshot) AS x
     WHERE NOT EXISTS (SELECT FROM pg_stat_activity s
                        WHERE s.backend_xid = x::xid AND s.datid <> v_database)`;

/** Writers no longer chain: the row is normalised, stamped with its transaction and left unsealed. */
const CHAIN_TRIGGER = `
  CREATE OR REPLACE FUNCTION public.fg_audit_chain() RETURNS trigger
    LANGUAGE plpgsql
    AS $fn$
    BEGIN
      NEW.timestamp := COALESCE(NEW.timestamp, CURRENT_TIMESTAMP);
      NEW.severity := COALESCE(NEW.severity, 'INFO');
      NEW.txid := pg_catalog.pg_current_xact_id()::pg_catalog.text::pg_catalog.int8;
      NEW.seq := NULL;
      NEW.prev_hash := NULL;
      NEW.hash := NULL;
      RETURN NEW;
    END
    $fn$;`;

/** The trigger of migration 0044, restored by down(). */
const CHAIN_TRIGGER_0044 = `
  CREATE OR REPLACE FUNCTION public.fg_audit_chain() RETURNS trigger
    LANGUAGE plpgsql
    AS $fn$
    BEGIN
      PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('audit_logs:' OPERATOR(pg_catalog.||) NEW.tenant_id));
      NEW.id := pg_catalog.nextval('public.audit_logs_id_seq'::pg_catalog.regclass);
      NEW.timestamp := COALESCE(NEW.timestamp, CURRENT_TIMESTAMP);
      NEW.severity := COALESCE(NEW.severity, 'INFO');
      NEW.prev_hash := (SELECT l.hash FROM public.audit_logs l
                         WHERE l.tenant_id OPERATOR(pg_catalog.=) NEW.tenant_id ORDER BY l.id DESC LIMIT 1);
      NEW.hash := public.fg_audit_hash(NEW);
      RETURN NEW;
    END
    $fn$;`;

/**
 * Seals up to p_limit rows of the current tenant (app.current_tenant, set transaction-locally by the
 * caller as for every request): in (txid, id) order, each row gets the next seq, the previous row's
 * hash as prev_hash and its own hash; the tenant's head moves to the last one. The head row is locked
 * first, so two sealers of one tenant take turns and the second sees the first's rows as sealed.
 * Returns the number of rows sealed; fewer than p_limit means nothing else is below the horizon.
 */
function sealFunction(owner: string, app: string): string {
  return `
  CREATE FUNCTION public.fg_audit_seal(p_limit integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $fn$
    DECLARE
      v_snapshot pg_snapshot := pg_current_snapshot();
      v_tenant varchar := NULLIF(current_setting('app.current_tenant', true), '');
      v_database oid;
      v_horizon bigint;
      v_head audit_chain_heads;
      r audit_logs;
      -- text[], not char(64)[]: array_append then extends the array in place (a bpchar append copies it).
      v_ids bigint[] := '{}';
      v_seqs bigint[] := '{}';
      v_prev_hashes text[] := '{}';
      v_hashes text[] := '{}';
      v_updated integer;
    BEGIN
      IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'fg_audit_seal needs app.current_tenant' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'fg_audit_seal: p_limit must be at least 1' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      SELECT d.oid INTO v_database FROM pg_database d WHERE d.datname = current_database();
      ${HORIZON};

      SELECT * INTO v_head FROM audit_chain_heads h WHERE h.tenant_id = v_tenant FOR UPDATE;
      IF NOT FOUND THEN
        INSERT INTO audit_chain_heads (tenant_id, seq) VALUES (v_tenant, 0) ON CONFLICT (tenant_id) DO NOTHING;
        SELECT * INTO v_head FROM audit_chain_heads h WHERE h.tenant_id = v_tenant FOR UPDATE;
      END IF;

      FOR r IN SELECT * FROM audit_logs a
                WHERE a.tenant_id = v_tenant AND a.hash IS NULL AND a.seq IS NULL AND a.txid < v_horizon
                ORDER BY a.txid, a.id
                LIMIT p_limit
      LOOP
        r.seq := v_head.seq + 1;
        r.prev_hash := v_head.hash;
        r.hash := fg_audit_hash(r);
        v_ids := array_append(v_ids, r.id);
        v_seqs := array_append(v_seqs, r.seq);
        v_prev_hashes := array_append(v_prev_hashes, r.prev_hash::text);
        v_hashes := array_append(v_hashes, r.hash::text);
        v_head.seq := r.seq;
        v_head.last_id := r.id;
        v_head.hash := r.hash;
      END LOOP;
      IF cardinality(v_ids) = 0 THEN
        RETURN 0;
      END IF;

      UPDATE audit_logs a SET seq = u.seq, prev_hash = u.prev_hash, hash = u.hash
        FROM unnest(v_ids, v_seqs, v_prev_hashes, v_hashes) AS u(id, seq, prev_hash, hash)
       WHERE a.tenant_id = v_tenant AND a.id = u.id AND a.hash IS NULL AND a.seq IS NULL;
      GET DIAGNOSTICS v_updated = ROW_COUNT;
      IF v_updated <> cardinality(v_ids) THEN
        RAISE EXCEPTION 'fg_audit_seal: % of % rows changed while being sealed', cardinality(v_ids) - v_updated, cardinality(v_ids);
      END IF;
      UPDATE audit_chain_heads h SET seq = v_head.seq, last_id = v_head.last_id, hash = v_head.hash, sealed_at = now()
       WHERE h.tenant_id = v_tenant;
      RETURN v_updated;
    END
    $fn$;
  ALTER FUNCTION public.fg_audit_seal(integer) OWNER TO ${owner};
  REVOKE EXECUTE ON FUNCTION public.fg_audit_seal(integer) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION public.fg_audit_seal(integer) TO ${app};`;
}

/**
 * Migration 50: audited writes do not serialise a tenant. The chain trigger that migration 30 made
 * took a per-tenant advisory lock until COMMIT to read the previous hash; this one only stamps the
 * row with its transaction id (`txid`) and leaves it unsealed (hash, prev_hash and `seq` NULL, whatever the
 * writer sent). A sealer links the rows afterwards (fg_audit_seal, run by the leading API process or
 * the CLI): per tenant, in (txid, id) order, once no transaction that could still add a row below
 * them is running, so the sealed prefix is final and the chain grows at its end only.
 *
 * - `audit_chain_heads`: each tenant's last sealed position (seq, last_id, hash); the verifier checks
 *   the chain's end against it, so a deleted tail shows. Initialised from each tenant's last row:
 *   the rows written so far keep their hashes and form the chain's legacy prefix (seq NULL, in id
 *   order, which was chain order because the old trigger drew ids under its lock) — they still verify.
 * - `txid` is the writer's 64-bit transaction id (xid8) as bigint, same order: TypeORM has no xid8.
 *   No column default: the trigger sets it on every insert.
 * - fg_audit_seal_status(): tenants with unsealed rows, how many and since when (the sealer's work
 *   list, the lag in /metrics). Cross-tenant, so a narrow definer function.
 *
 * Not in one transaction: the indexes are built CONCURRENTLY. Each step can be run again after a
 * failure (an INVALID index left by a failed build is dropped and rebuilt). The last step locks
 * audit_logs against writers (SHARE ROW EXCLUSIVE) while it reads each tenant's last row and swaps the
 * trigger, so no row of the old trigger commits after its tenant's head was taken.
 */
export class AuditChainSealing1700000000050 implements MigrationInterface {
  name = 'AuditChainSealing1700000000050';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const { owner, app, platform } = quotedRoles(roles);
    await inTransaction(
      q,
      `SET LOCAL lock_timeout = '10s';
       ALTER TABLE audit_logs ADD COLUMN IF NOT EXISTS txid bigint, ADD COLUMN IF NOT EXISTS seq bigint,
         ALTER COLUMN hash DROP NOT NULL;`,
    );
    for (const [name, definition] of INDEXES) {
      const [index]: { valid: boolean }[] = await q.query(`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)`, [name]);
      if (index?.valid) continue;
      if (index) await q.query(`DROP INDEX CONCURRENTLY ${name}`);
      await q.query(`CREATE INDEX CONCURRENTLY ${name} ON audit_logs ${definition}`);
    }
    const [heads]: { exists: boolean }[] = await q.query(`SELECT to_regclass('audit_chain_heads') IS NOT NULL AS exists`);
    if (heads.exists) return;
    await inTransaction(
      q,
      `SET LOCAL lock_timeout = '10s';
       LOCK TABLE audit_logs IN SHARE ROW EXCLUSIVE MODE;
       CREATE TABLE audit_chain_heads (
         tenant_id  varchar(64) PRIMARY KEY REFERENCES tenants (tenant_id) ON DELETE CASCADE,
         seq        bigint NOT NULL,
         last_id    bigint,
         hash       char(64),
         sealed_at  timestamptz
       );
       ${protectTenantTable('audit_chain_heads', 'SELECT', roles)}
       GRANT SELECT ON audit_chain_heads TO ${platform};
       INSERT INTO audit_chain_heads (tenant_id, seq, last_id, hash, sealed_at)
         SELECT t.tenant_id, 0, l.id, l.hash, now()
           FROM tenants t
           CROSS JOIN LATERAL (SELECT a.id, a.hash FROM audit_logs a WHERE a.tenant_id = t.tenant_id ORDER BY a.id DESC LIMIT 1) l;
       ${CHAIN_TRIGGER}
       ${sealFunction(owner, app)}
       ${definerFunction(
         'fg_audit_seal_status()',
         'TABLE (tenant_id varchar, pending bigint, oldest timestamptz)',
         `SELECT a.tenant_id, count(*), min(a.timestamp) FROM public.audit_logs a
           WHERE a.hash IS NULL AND a.seq IS NULL GROUP BY a.tenant_id`,
        roles,
       )}`,
    );
  }

  /**
   * Back to the trigger of 0044, which chains each tenant's rows in id order. Rows sealed since up()
   * (in txid order) and rows still unsealed are linked again, in id order after the legacy prefix:
   * their prev_hash and hash are rewritten, so the old verifier accepts the chain. TypeORM reverts
   * inside a transaction whatever `transaction` says, so no CONCURRENTLY here; the ACCESS EXCLUSIVE
   * lock first lets every writer finish.
   */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      LOCK TABLE audit_logs IN ACCESS EXCLUSIVE MODE;
      DROP FUNCTION fg_audit_seal_status();
      DROP FUNCTION fg_audit_seal(integer);
      ${CHAIN_TRIGGER_0044}
      DO $$
      DECLARE
        r audit_logs;
        v_tenant varchar;
        v_previous char(64);
        v_relink boolean;
      BEGIN
        FOR r IN SELECT * FROM audit_logs ORDER BY tenant_id, id LOOP
          IF v_tenant IS DISTINCT FROM r.tenant_id THEN
            v_tenant := r.tenant_id;
            v_previous := NULL;
            v_relink := false;
          END IF;
          v_relink := v_relink OR r.seq IS NOT NULL OR r.hash IS NULL;
          IF v_relink THEN
            r.prev_hash := v_previous;
            r.hash := fg_audit_hash(r);
            UPDATE audit_logs SET prev_hash = r.prev_hash, hash = r.hash WHERE tenant_id = r.tenant_id AND id = r.id;
          END IF;
          v_previous := r.hash;
        END LOOP;
      END $$;
      DROP TABLE audit_chain_heads;
      DROP INDEX idx_audit_chain;
      DROP INDEX idx_audit_unsealed;
      ALTER TABLE audit_logs DROP COLUMN seq, DROP COLUMN txid, ALTER COLUMN hash SET NOT NULL;
    `);
  }
}

/** `sql` as one transaction of its own (this migration runs outside TypeORM's), rolled back on error. */
async function inTransaction(q: QueryRunner, sql: string): Promise<void> {
  try {
    await q.query(`BEGIN; ${sql} COMMIT;`);
  } catch (error) {
    await q.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
