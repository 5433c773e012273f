import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  DEV_APP_DB_PASSWORD,
  quoteIdent,
  readDeploymentRoles,
  recordedRoles,
  recordRolesSql,
  rolesForDatabase,
  ROLES_FUNCTION,
  type DeploymentRoles,
} from '../src/database/roles.js';
import { columnSequence } from './catalog.js';
import { definerFunction, protectTenantTable, unprotectTenantTable } from './row-level-security.js';

const TENANT_TABLES: Record<string, string> = {
  tenants: 'SELECT, INSERT, UPDATE',
  tenant_users: 'SELECT, INSERT, UPDATE, DELETE',
  tenant_api_keys: 'SELECT, INSERT, UPDATE, DELETE',
  audit_logs: 'SELECT, INSERT', // append-only for the app
  accounts: 'SELECT, INSERT, UPDATE, DELETE',
  transactions: 'SELECT, INSERT, UPDATE, DELETE',
  fraud_alerts: 'SELECT, INSERT, UPDATE, DELETE',
  system_logs: 'SELECT, INSERT',
};

const SEQUENCES = ['tenant_users_id_seq', 'tenant_api_keys_id_seq', 'audit_logs_id_seq'];

/** The sequences the app draws ids from: system_logs' is whatever a single-tenant install made it. */
async function sequences(q: QueryRunner): Promise<string[]> {
  const systemLogs = await columnSequence(q, 'system_logs', 'id');
  return systemLogs ? [...SEQUENCES, systemLogs] : SEQUENCES;
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Creates this deployment's roles unless they exist, and refuses roles of those names that would be
 * unsafe. An existing role keeps its password and settings: it may be serving another database of
 * the server (a template clone, or a database re-created under the same name), and resetting it
 * would lock that deployment out. Only an operator changes an existing role's password.
 */
async function createRoles(q: QueryRunner, roles: DeploymentRoles): Promise<void> {
  const password = process.env.APP_DB_PASSWORD || DEV_APP_DB_PASSWORD;
  const [owner, app] = [quoteIdent(roles.owner), quoteIdent(roles.app)];
  const existing: { rolname: string; unsafe: boolean }[] = await q.query(
    `SELECT rolname, rolsuper OR rolbypassrls AS unsafe FROM pg_roles WHERE rolname = ANY($1)`,
    [[roles.owner, roles.app]],
  );
  const found = (name: string) => existing.find((role) => role.rolname === name);
  if (!found(roles.owner)) await q.query(`CREATE ROLE ${owner} NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE`);
  if (found(roles.app)?.unsafe) throw new Error(`role ${roles.app} exists with SUPERUSER or BYPASSRLS: it cannot be this deployment's app role`);
  if (!found(roles.app)) {
    await q.query(`
      CREATE ROLE ${app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD ${literal(password)};
      ALTER ROLE ${app} SET statement_timeout = '10s';
      ALTER ROLE ${app} SET idle_in_transaction_session_timeout = '30s';
      ALTER ROLE ${app} SET lock_timeout = '5s';
    `);
  }
}

/**
 * Migration 3: the seed's 003_enable_row_level_security.sql done the way DESIGN.md requires —
 * an owner role that owns everything and an app role that owns nothing (NOSUPERUSER NOBYPASSRLS),
 * FORCE'd RLS with USING and WITH CHECK on all eight tenant tables, and narrow SECURITY DEFINER
 * look-ups for the questions asked before a tenant is known. The seed's set_current_tenant()
 * (session-level set_config) is deliberately not created.
 */
export class RowLevelSecurity1700000000003 implements MigrationInterface {
  name = 'RowLevelSecurity1700000000003';

  async up(q: QueryRunner): Promise<void> {
    // A database that already has a record (migration 3 reverted and applied again) keeps its roles.
    const [{ database }] = await q.query(`SELECT current_database() AS database`);
    const roles = (await recordedRoles(q)) ?? rolesForDatabase(database);
    await createRoles(q, roles);
    const [owner, app] = [quoteIdent(roles.owner), quoteIdent(roles.app)];
    await q.query(recordRolesSql(roles));
    await q.query(`
      GRANT USAGE ON SCHEMA public TO ${app};
      GRANT SELECT ON migrations TO ${app};
      ALTER FUNCTION update_updated_at_column() OWNER TO ${owner};
    `);
    // The single-tenant tables may be busy. Their locks are taken together, referencing tables
    // before the tables they reference: an INSERT locks its table first and the referenced one for
    // its key check, so in this order neither can end up waiting for the other.
    await q.query(`LOCK TABLE fraud_alerts, transactions, accounts, system_logs IN ACCESS EXCLUSIVE MODE`);
    for (const [table, privileges] of Object.entries(TENANT_TABLES)) {
      await q.query(protectTenantTable(table, privileges, roles));
    }
    for (const sequence of await sequences(q)) {
      await q.query(`GRANT USAGE ON SEQUENCE ${sequence} TO ${app}`);
    }
    await q.query(
      definerFunction(
        'fg_api_key_lookup(p_key_hash text)',
        `TABLE (key_id integer, tenant_id varchar, key_prefix varchar, scopes text[],
                rate_limit_per_minute integer, is_active boolean, expires_at timestamptz,
                tenant_status varchar, trial_ends_at timestamptz, plan varchar)`,
        `SELECT k.id, k.tenant_id, k.key_prefix, k.scopes, k.rate_limit_per_minute, k.is_active,
                k.expires_at, t.status, t.trial_ends_at, t.plan
           FROM public.tenant_api_keys k JOIN public.tenants t ON t.tenant_id = k.tenant_id
          WHERE k.key_hash = p_key_hash`,
        roles,
      ),
    );
    await q.query(
      definerFunction(
        'fg_tenant_by_subdomain(p_subdomain text)',
        `TABLE (tenant_id varchar, status varchar, trial_ends_at timestamptz)`,
        `SELECT t.tenant_id, t.status, t.trial_ends_at FROM public.tenants t WHERE t.subdomain = lower(p_subdomain)`,
        roles,
      ),
    );
    await q.query(
      definerFunction(
        'fg_login_candidates(p_email text)',
        `TABLE (user_id integer, tenant_id varchar, subdomain varchar, password_hash varchar,
                role varchar, is_active boolean, tenant_status varchar, trial_ends_at timestamptz)`,
        `SELECT u.id, u.tenant_id, t.subdomain, u.password_hash, u.role, u.is_active, t.status, t.trial_ends_at
           FROM public.tenant_users u JOIN public.tenants t ON t.tenant_id = u.tenant_id
          WHERE lower(u.email) = lower(p_email)`,
        roles,
      ),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const app = quoteIdent(roles.app);
    await q.query(`
      DROP FUNCTION fg_login_candidates(text);
      DROP FUNCTION fg_tenant_by_subdomain(text);
      DROP FUNCTION fg_api_key_lookup(text);
      ALTER FUNCTION update_updated_at_column() OWNER TO CURRENT_USER;
    `);
    for (const sequence of await sequences(q)) {
      await q.query(`REVOKE ALL ON SEQUENCE ${sequence} FROM ${app}`);
    }
    for (const table of Object.keys(TENANT_TABLES).reverse()) {
      await q.query(unprotectTenantTable(table, roles));
    }
    // Roles are cluster-wide and template clones of this database may still use them: only this
    // database's grants and its record are taken back here.
    await q.query(`REVOKE SELECT ON migrations FROM ${app}; REVOKE USAGE ON SCHEMA public FROM ${app};`);
    await q.query(`DROP FUNCTION public.${ROLES_FUNCTION}()`);
  }
}
