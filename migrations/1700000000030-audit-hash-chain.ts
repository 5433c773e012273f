import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedRoles, readDeploymentRoles } from '../src/database/roles.js';

/**
 * Each tenant's audit rows form a hash chain: `hash = sha256(canonical form of the row, including
 * prev_hash)`, `prev_hash` = the hash of the tenant's previous row. Editing or deleting a row breaks
 * the chain at that row or the next, which `GET /api/v1/audit-logs/verify` detects.
 *
 * The database computes it, in a BEFORE INSERT trigger, so no writer (API, CLI, operator tooling,
 * psql) can append a row outside the chain, and the app role keeps only INSERT + SELECT:
 * - `pg_advisory_xact_lock(hashtext(tenant_id))` serialises one tenant's audit inserts until commit,
 *   so two transactions never chain onto the same predecessor;
 * - the id is drawn AFTER the lock, so ids follow chain order within a tenant (the column default
 *   was evaluated before the trigger, possibly before another transaction's insert);
 * - the canonical form is a jsonb array rendered as text (jsonb normalises key order and spacing),
 *   with the timestamp in UTC at microsecond precision.
 * Under READ COMMITTED each statement of the trigger takes a fresh snapshot, so after waiting for
 * the lock it sees the predecessor the other transaction just committed.
 */
export class AuditHashChain1700000000030 implements MigrationInterface {
  name = 'AuditHashChain1700000000030';

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const { owner, app } = quotedRoles(roles);
    await q.query(`
      ALTER TABLE audit_logs ADD COLUMN prev_hash char(64), ADD COLUMN hash char(64);
      UPDATE audit_logs SET timestamp = CURRENT_TIMESTAMP WHERE timestamp IS NULL;
      ALTER TABLE audit_logs ALTER COLUMN timestamp SET NOT NULL;

      CREATE FUNCTION fg_audit_hash(a audit_logs) RETURNS char(64)
        LANGUAGE sql STABLE
        SET search_path = pg_catalog, public, pg_temp
        AS $fn$
          SELECT encode(sha256(convert_to(jsonb_build_array(
            a.tenant_id, a.id, a.user_id, a.action, a.resource_type, a.resource_id,
            a.ip_address::text, a.user_agent, a.request_id, a.old_value, a.new_value,
            to_char(a.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            a.severity, a.prev_hash)::text, 'UTF8')), 'hex')
        $fn$;

      CREATE FUNCTION fg_audit_chain() RETURNS trigger
        LANGUAGE plpgsql
        SET search_path = pg_catalog, public, pg_temp
        AS $fn$
        BEGIN
          PERFORM pg_advisory_xact_lock(hashtext('audit_logs:' || NEW.tenant_id));
          NEW.id := nextval('audit_logs_id_seq');
          NEW.timestamp := COALESCE(NEW.timestamp, CURRENT_TIMESTAMP);
          NEW.severity := COALESCE(NEW.severity, 'INFO');
          NEW.prev_hash := (SELECT l.hash FROM audit_logs l WHERE l.tenant_id = NEW.tenant_id ORDER BY l.id DESC LIMIT 1);
          NEW.hash := fg_audit_hash(NEW);
          RETURN NEW;
        END
        $fn$;
      ALTER FUNCTION fg_audit_hash(audit_logs) OWNER TO ${owner};
      ALTER FUNCTION fg_audit_chain() OWNER TO ${owner};
      REVOKE EXECUTE ON FUNCTION fg_audit_hash(audit_logs) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION fg_audit_hash(audit_logs) TO ${app};

      CREATE TRIGGER audit_logs_chain BEFORE INSERT ON audit_logs
        FOR EACH ROW EXECUTE FUNCTION fg_audit_chain();
    `);
    // Rows written before this migration join the chain in id order, per tenant.
    await q.query(`
      DO $$
      DECLARE
        r audit_logs;
        previous_tenant varchar := NULL;
        previous_hash char(64) := NULL;
      BEGIN
        FOR r IN SELECT * FROM audit_logs ORDER BY tenant_id, id LOOP
          IF previous_tenant IS DISTINCT FROM r.tenant_id THEN
            previous_hash := NULL;
            previous_tenant := r.tenant_id;
          END IF;
          r.prev_hash := previous_hash;
          r.hash := fg_audit_hash(r);
          UPDATE audit_logs SET prev_hash = r.prev_hash, hash = r.hash WHERE tenant_id = r.tenant_id AND id = r.id;
          previous_hash := r.hash;
        END LOOP;
      END $$;
      ALTER TABLE audit_logs ALTER COLUMN hash SET NOT NULL;
      CREATE INDEX idx_audit_tenant_action ON audit_logs (tenant_id, action, id DESC);
      CREATE INDEX idx_audit_tenant_user ON audit_logs (tenant_id, user_id, id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX idx_audit_tenant_user;
      DROP INDEX idx_audit_tenant_action;
      DROP TRIGGER audit_logs_chain ON audit_logs;
      DROP FUNCTION fg_audit_chain();
      DROP FUNCTION fg_audit_hash(audit_logs);
      ALTER TABLE audit_logs ALTER COLUMN timestamp DROP NOT NULL;
      ALTER TABLE audit_logs DROP COLUMN hash, DROP COLUMN prev_hash;
    `);
  }
}
