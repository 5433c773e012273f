import type { MigrationInterface, QueryRunner } from 'typeorm';
import { readDeploymentRoles } from '../src/database/roles.js';
import { definerFunction } from './row-level-security.js';

const PRINCIPAL = 'fg_auth_principal(p_tenant_id text, p_user_id integer)';
const BODY = (withPlan: boolean) => `SELECT u.role, u.is_active, t.status, t.trial_ends_at${withPlan ? ', t.plan' : ''}
           FROM public.tenant_users u JOIN public.tenants t ON t.tenant_id = u.tenant_id
          WHERE u.tenant_id = p_tenant_id AND u.id = p_user_id`;

/**
 * The JWT path needs the tenant's plan too (its rate-limit ceiling), like the API-key look-up
 * already returns it. A function's result type cannot be altered in place: drop and recreate.
 */
export class PrincipalPlan1700000000011 implements MigrationInterface {
  name = 'PrincipalPlan1700000000011';

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    await q.query(`DROP FUNCTION fg_auth_principal(text, integer)`);
    await q.query(
      definerFunction(PRINCIPAL, `TABLE (role varchar, is_active boolean, tenant_status varchar, trial_ends_at timestamptz, plan varchar)`, BODY(true), roles),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    await q.query(`DROP FUNCTION fg_auth_principal(text, integer)`);
    await q.query(definerFunction(PRINCIPAL, `TABLE (role varchar, is_active boolean, tenant_status varchar, trial_ends_at timestamptz)`, BODY(false), roles));
  }
}
