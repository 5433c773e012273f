import { quoteIdent, type DeploymentRoles } from '../src/database/roles.js';

/**
 * The one policy every tenant table gets (DESIGN.md, database rules): ENABLE and FORCE row-level
 * security, and a policy whose USING and WITH CHECK compare tenant_id with the transaction-local
 * app.current_tenant. With no tenant set the comparison is NULL, so no row is visible or writable.
 * Later migrations that add a tenant table call this too, so no table is ever left out. `roles`
 * are the database's own (readDeploymentRoles).
 */
export const CURRENT_TENANT = `(SELECT NULLIF(current_setting('app.current_tenant', true), ''))`;

export function protectTenantTable(table: string, appPrivileges: string, roles: DeploymentRoles): string {
  return `
    ALTER TABLE ${table} OWNER TO ${quoteIdent(roles.owner)};
    ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation_policy ON ${table}
      USING (tenant_id = ${CURRENT_TENANT})
      WITH CHECK (tenant_id = ${CURRENT_TENANT});
    GRANT ${appPrivileges} ON ${table} TO ${quoteIdent(roles.app)};
  `;
}

export function unprotectTenantTable(table: string, roles: DeploymentRoles): string {
  return `
    REVOKE ALL ON ${table} FROM ${quoteIdent(roles.app)};
    DROP POLICY IF EXISTS tenant_isolation_policy ON ${table};
    ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY;
    ALTER TABLE ${table} OWNER TO CURRENT_USER;
  `;
}

/** A SECURITY DEFINER function the way DESIGN.md wants them: owned by the owner, pinned search_path, app-only. */
export function definerFunction(signature: string, returns: string, body: string, roles: DeploymentRoles): string {
  return `
    CREATE FUNCTION ${signature} RETURNS ${returns}
      LANGUAGE sql STABLE SECURITY DEFINER
      SET search_path = pg_catalog, public, pg_temp
      AS $fn$ ${body} $fn$;
    ALTER FUNCTION ${signature} OWNER TO ${quoteIdent(roles.owner)};
    REVOKE EXECUTE ON FUNCTION ${signature} FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION ${signature} TO ${quoteIdent(roles.app)};
  `;
}
