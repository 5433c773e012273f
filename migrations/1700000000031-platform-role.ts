import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedRoles, readDeploymentRoles } from '../src/database/roles.js';

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
 * migrate) and runs every statement after `SET LOCAL ROLE` to it (the deployment's `fg_<database>_platform`,
 * or `fraudguard_platform` in a database migrated before roles were per database), so an operator
 * request can read/update tenants and append to their audit trail, but cannot drop a table, edit an
 * audit row or touch the schema. The app role is NOT granted this role: a flaw in the tenant request
 * path can never `SET ROLE` its way past RLS.
 */
export class PlatformRole1700000000031 implements MigrationInterface {
  name = 'PlatformRole1700000000031';

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const { owner, platform } = quotedRoles(roles);
    const name = `'${roles.platform.replace(/'/g, "''")}'`;
    // Created unless it exists; an existing role is left as it is (it may serve a template clone).
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${name}) THEN
          CREATE ROLE ${platform} NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE;
        ELSIF EXISTS (SELECT FROM pg_roles WHERE rolname = ${name} AND (rolcanlogin OR rolsuper)) THEN
          RAISE EXCEPTION 'role % exists with LOGIN or SUPERUSER: it cannot be this deployment''s platform role', ${name};
        END IF;
      END $$;
      GRANT ${platform} TO ${owner};
      GRANT USAGE ON SCHEMA public TO ${platform};
      GRANT SELECT ON migrations TO ${platform};
    `);
    // The login that runs migrations (DATABASE_URL) is the one the admin module connects with.
    await q.query(`
      DO $$
      BEGIN
        IF NOT pg_has_role(current_user, ${name}, 'MEMBER') THEN
          EXECUTE format('GRANT %I TO %I', ${name}, current_user);
        END IF;
      END $$;
    `);
    for (const [table, privileges] of Object.entries(PLATFORM_GRANTS)) {
      await q.query(`GRANT ${privileges} ON ${table} TO ${platform}`);
    }
    for (const sequence of PLATFORM_SEQUENCES) await q.query(`GRANT USAGE ON SEQUENCE ${sequence} TO ${platform}`);
    await q.query(`GRANT EXECUTE ON FUNCTION fg_audit_hash(audit_logs) TO ${platform}`);
  }

  async down(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const { platform } = quotedRoles(roles);
    // The role may still serve template clones of this database: only this database's grants go.
    await q.query(`REVOKE EXECUTE ON FUNCTION fg_audit_hash(audit_logs) FROM ${platform}`);
    for (const sequence of PLATFORM_SEQUENCES) await q.query(`REVOKE ALL ON SEQUENCE ${sequence} FROM ${platform}`);
    for (const table of Object.keys(PLATFORM_GRANTS)) await q.query(`REVOKE ALL ON ${table} FROM ${platform}`);
    await q.query(`REVOKE SELECT ON migrations FROM ${platform}; REVOKE USAGE ON SCHEMA public FROM ${platform};`);
  }
}
