import { createHash } from 'node:crypto';

/**
 * The database roles of one deployment (DESIGN.md, database rules). Each database has roles of its
 * own, named after it when migration 3 first creates them (rolesForDatabase) and recorded in the
 * database itself by the function `fg_deployment_roles()`: migrations, start-up, the platform
 * connection and the tests read the names from there (readDeploymentRoles) and never recompute
 * them, so a database that is renamed or cloned (CREATE DATABASE … TEMPLATE shares the template's
 * roles) keeps using the roles it was built with.
 */
export interface DeploymentRoles {
  /** Owns every table; migrations and start-up tasks act for it. NOLOGIN. */
  owner: string;
  /** What the server connects as: LOGIN NOSUPERUSER NOBYPASSRLS, owns nothing, CONNECT on its own database only. */
  app: string;
  /** The operators' cross-tenant role (BYPASSRLS, NOLOGIN), entered with SET LOCAL ROLE from the owner's connection. */
  platform: string;
}

/**
 * The roles of databases migrated before roles were per database: cluster-wide names, shared by every
 * such database of the server. A database without a record uses them, so such a deployment keeps
 * working unchanged after an upgrade (migration 90 then records them).
 */
export const LEGACY_ROLES: DeploymentRoles = Object.freeze({
  owner: 'fraudguard_owner',
  app: 'fraudguard_app',
  platform: 'fraudguard_platform',
});

/** The app role's password when APP_DB_PASSWORD is unset (outside production only). */
export const DEV_APP_DB_PASSWORD = 'fraudguard_app_dev';

/** The function that records a database's roles (migration 3 for a new database, migration 90 for an older one). */
export const ROLES_FUNCTION = 'fg_deployment_roles';

/** Longest database-name stem kept verbatim: `fg_` + stem + `_platform` stays far within PostgreSQL's 63 bytes. */
const MAX_STEM = 40;

/**
 * The role names a new deployment gets for `database`: `fg_<database>_owner`, `fg_<database>_app`,
 * `fg_<database>_platform`. A name that is not already lower-case `[a-z0-9_]`, or is longer than 40
 * bytes, is folded to that alphabet, cut to 31 characters and suffixed with 8 hex digits of its
 * SHA-256 — so `Shop`, `shop` and `sh-op` never share roles, and every name fits in 63 bytes.
 */
export function rolesForDatabase(database: string): DeploymentRoles {
  const folded = database.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const stem =
    folded === database && Buffer.byteLength(folded) <= MAX_STEM
      ? folded
      : `${folded.slice(0, 31)}_${createHash('sha256').update(database).digest('hex').slice(0, 8)}`;
  return { owner: `fg_${stem}_owner`, app: `fg_${stem}_app`, platform: `fg_${stem}_platform` };
}

/** A role (or any identifier) quoted for SQL text, as format('%I') / quote_ident would. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A TypeORM DataSource or QueryRunner (rows) or a pg client (a result with rows). */
interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

async function rows(q: Queryable, sql: string, parameters?: unknown[]): Promise<any[]> {
  const result = await q.query(sql, parameters);
  return Array.isArray(result) ? result : result.rows;
}

/** The roles recorded in the database `q` is connected to, or null when it has no record (yet). */
export async function recordedRoles(q: Queryable): Promise<DeploymentRoles | null> {
  const [found] = await rows(q, `SELECT to_regprocedure('public.${ROLES_FUNCTION}()') IS NOT NULL AS recorded`);
  if (!found?.recorded) return null;
  const [row] = await rows(q, `SELECT owner_role, app_role, platform_role FROM public.${ROLES_FUNCTION}()`);
  return { owner: row.owner_role, app: row.app_role, platform: row.platform_role };
}

/** The roles this database uses: its record, else (migrated before records existed) the legacy names. */
export async function readDeploymentRoles(q: Queryable): Promise<DeploymentRoles> {
  return (await recordedRoles(q)) ?? LEGACY_ROLES;
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * SQL that records `roles` in the database: a function of constants (so the record travels with a
 * template clone and with a dump) owned by the owner role. The names are not secret: anyone may read them.
 */
export function recordRolesSql(roles: DeploymentRoles): string {
  return `
    CREATE OR REPLACE FUNCTION public.${ROLES_FUNCTION}()
      RETURNS TABLE (owner_role name, app_role name, platform_role name)
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      AS $fn$ SELECT ${literal(roles.owner)}::name, ${literal(roles.app)}::name, ${literal(roles.platform)}::name $fn$;
    COMMENT ON FUNCTION public.${ROLES_FUNCTION}() IS 'The roles of this FraudGuard deployment, named when its database was created';
    ALTER FUNCTION public.${ROLES_FUNCTION}() OWNER TO ${quoteIdent(roles.owner)};
  `;
}

/**
 * SQL that lets the app role — and no one else but the database's owner and superusers — CONNECT to
 * the current database: PUBLIC loses CONNECT. A database created from a template does not inherit
 * its template's database privileges, so start-up applies this again when connectNeedsRestricting
 * says so (prepareDatabase in database-startup.ts).
 */
export function restrictConnectSql(roles: DeploymentRoles): string {
  return `
    DO $$
    BEGIN
      EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database());
      EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), ${literal(roles.app)});
    END $$;
  `;
}

/** Whether PUBLIC may still CONNECT to the current database, or the app role may not. */
export async function connectNeedsRestricting(q: Queryable, roles: DeploymentRoles): Promise<boolean> {
  const [row] = await rows(
    q,
    `SELECT EXISTS (SELECT FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                     WHERE d.datname = current_database() AND a.grantee = 0 AND a.privilege_type = 'CONNECT') AS public_connects,
            has_database_privilege($1, current_database(), 'CONNECT') AS app_connects`,
    [roles.app],
  );
  return row.public_connects || !row.app_connects;
}

/** The roles' names quoted for SQL text (quoteIdent), for migrations that interpolate them. */
export function quotedRoles(roles: DeploymentRoles): DeploymentRoles {
  return { owner: quoteIdent(roles.owner), app: quoteIdent(roles.app), platform: quoteIdent(roles.platform) };
}
