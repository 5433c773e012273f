import type { MigrationInterface, QueryRunner } from 'typeorm';
import { OWNER_ROLE, PLATFORM_ROLE } from '../src/database/roles.js';

/** What operators' tooling may touch across tenants, and nothing more (no DDL, no audit UPDATE/DELETE). */
const PLATFORM_GRANTS: Record<string, string> = {
  tenants: 'SELECT, INSERT, UPDATE',
  tenant_users: 'SELECT, INSERT',
  tenant_api_keys: 'SELECT, INSERT',
  audit_logs: 'SELECT, INSERT',
  accounts: 'SELECT',
  transactions: 'SELECT',
  fraud_alerts: 'SELECT',
};
const PLATFORM_SEQUENCES = ['tenant_users_id_seq', 'tenant_api_keys_id_seq', 'audit_logs_id_seq'];

/**
 * The platform operators' role (src/admin: HTTP admin API and CLI). Cross-tenant work needs to see
 * past row-level security, so it is BYPASSRLS — and for that very reason it is NOLOGIN and narrow:
 * the admin module connects with the owner's URL (DATABASE_URL, which the service already holds to
 * migrate) and runs every statement after `SET LOCAL ROLE fraudguard_platform`, so an operator
 * request can read/update tenants and append to their audit trail, but cannot drop a table, edit an
 * audit row or touch the schema. The app role is NOT granted this role: a flaw in the tenant request
 * path can never `SET ROLE` its way past RLS.
 */
export class PlatformRole1700000000031 implements MigrationInterface {
  name = 'PlatformRole1700000000031';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${PLATFORM_ROLE}') THEN
          CREATE ROLE ${PLATFORM_ROLE} NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE;
        END IF;
      END $$;
      ALTER ROLE ${PLATFORM_ROLE} WITH NOLOGIN NOSUPERUSER BYPASSRLS;
      GRANT ${PLATFORM_ROLE} TO ${OWNER_ROLE};
      GRANT USAGE ON SCHEMA public TO ${PLATFORM_ROLE};
      GRANT SELECT ON migrations TO ${PLATFORM_ROLE};
    `);
    // The login that runs migrations (DATABASE_URL) is the one the admin module connects with.
    await q.query(`
      DO $$
      BEGIN
        IF NOT pg_has_role(current_user, '${PLATFORM_ROLE}', 'MEMBER') THEN
          EXECUTE format('GRANT ${PLATFORM_ROLE} TO %I', current_user);
        END IF;
      END $$;
    `);
    for (const [table, privileges] of Object.entries(PLATFORM_GRANTS)) {
      await q.query(`GRANT ${privileges} ON ${table} TO ${PLATFORM_ROLE}`);
    }
    for (const sequence of PLATFORM_SEQUENCES) await q.query(`GRANT USAGE ON SEQUENCE ${sequence} TO ${PLATFORM_ROLE}`);
    await q.query(`GRANT EXECUTE ON FUNCTION fg_audit_hash(audit_logs) TO ${PLATFORM_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The role is cluster-wide (other databases of the cluster may use it): only this database's grants go.
    await q.query(`REVOKE EXECUTE ON FUNCTION fg_audit_hash(audit_logs) FROM ${PLATFORM_ROLE}`);
    for (const sequence of PLATFORM_SEQUENCES) await q.query(`REVOKE ALL ON SEQUENCE ${sequence} FROM ${PLATFORM_ROLE}`);
    for (const table of Object.keys(PLATFORM_GRANTS)) await q.query(`REVOKE ALL ON ${table} FROM ${PLATFORM_ROLE}`);
    await q.query(`REVOKE SELECT ON migrations FROM ${PLATFORM_ROLE}; REVOKE USAGE ON SCHEMA public FROM ${PLATFORM_ROLE};`);
  }
}
