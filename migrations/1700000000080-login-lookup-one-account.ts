import type { MigrationInterface, QueryRunner } from 'typeorm';
import { readDeploymentRoles } from '../src/database/roles.js';
import { definerFunction } from './row-level-security.js';

const OLD_LOGIN_LOOKUP = `
  SELECT u.id, u.tenant_id, t.subdomain, u.password_hash, u.role, u.is_active, t.status, t.trial_ends_at,
         u.failed_login_count, u.locked_until
    FROM public.tenant_users u JOIN public.tenants t ON t.tenant_id = u.tenant_id
   WHERE lower(u.email) = lower(p_email)
     AND (p_subdomain IS NULL OR t.subdomain = lower(p_subdomain))
   ORDER BY u.tenant_id
   LIMIT 10`;

/**
 * Pre-tenant look-ups that cannot be turned against their owners.
 *
 * - fg_login_lookup answers ONE active account (the hinted organization's, else the first account
 *   made with the e-mail) and how many active accounts share the e-mail: login verifies one password
 *   hash per request, and no account created later, whatever its tenant id, can push the owner's out.
 * - fg_account_lookup: the accounts of an e-mail without their password hashes, for the password
 *   reset mail and for auditing rate-limit refusals in the owners' trails.
 * - Definer functions nothing calls any more are dropped: fg_login_candidates (every tenant's
 *   hashes by e-mail) and fg_signup_conflicts (signup asks fg_tenant_by_subdomain).
 * - tenants.admin_email is no longer unique across the platform: signup must not tell a stranger that
 *   another organization uses an address, and one person may run several organizations.
 */
export class LoginLookupOneAccount1700000000080 implements MigrationInterface {
  name = 'LoginLookupOneAccount1700000000080';

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    await q.query(`
      DROP FUNCTION fg_login_candidates(text);
      DROP FUNCTION fg_signup_conflicts(text, text);
      DROP FUNCTION fg_login_lookup(text, text);
      ALTER TABLE tenants DROP CONSTRAINT tenants_admin_email_key;
    `);
    await q.query(
      definerFunction(
        'fg_login_lookup(p_email text, p_subdomain text)',
        `TABLE (user_id integer, tenant_id varchar, subdomain varchar, password_hash varchar, role varchar,
                tenant_status varchar, trial_ends_at timestamptz, failed_login_count integer, locked_until timestamptz,
                accounts integer)`,
        `SELECT u.id, u.tenant_id, t.subdomain, u.password_hash, u.role, t.status, t.trial_ends_at,
                u.failed_login_count, u.locked_until, (count(*) OVER ())::integer
           FROM public.tenant_users u JOIN public.tenants t ON t.tenant_id = u.tenant_id
          WHERE lower(u.email) = lower(p_email) AND u.is_active
            AND (p_subdomain IS NULL OR t.subdomain = lower(p_subdomain))
          ORDER BY u.created_at NULLS LAST, u.tenant_id, u.id
          LIMIT 1`,
        roles,
      ),
    );
    await q.query(
      definerFunction(
        'fg_account_lookup(p_email text, p_subdomain text)',
        `TABLE (user_id integer, tenant_id varchar, subdomain varchar, tenant_status varchar, trial_ends_at timestamptz)`,
        `SELECT u.id, u.tenant_id, t.subdomain, t.status, t.trial_ends_at
           FROM public.tenant_users u JOIN public.tenants t ON t.tenant_id = u.tenant_id
          WHERE lower(u.email) = lower(p_email) AND u.is_active
            AND (p_subdomain IS NULL OR t.subdomain = lower(p_subdomain))
          ORDER BY u.created_at NULLS LAST, u.tenant_id, u.id
          LIMIT 10`,
        roles,
      ),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    // Fails while two organizations share an admin e-mail: merge or rename them first.
    await q.query(`
      DROP FUNCTION fg_account_lookup(text, text);
      DROP FUNCTION fg_login_lookup(text, text);
      ALTER TABLE tenants ADD CONSTRAINT tenants_admin_email_key UNIQUE (admin_email);
    `);
    await q.query(
      definerFunction(
        'fg_login_lookup(p_email text, p_subdomain text)',
        `TABLE (user_id integer, tenant_id varchar, subdomain varchar, password_hash varchar, role varchar,
                is_active boolean, tenant_status varchar, trial_ends_at timestamptz,
                failed_login_count integer, locked_until timestamptz)`,
        OLD_LOGIN_LOOKUP,
        roles,
      ),
    );
    await q.query(
      definerFunction(
        'fg_signup_conflicts(p_subdomain text, p_email text)',
        `TABLE (subdomain_taken boolean, email_taken boolean)`,
        `SELECT EXISTS (SELECT 1 FROM public.tenants WHERE subdomain = lower(p_subdomain)),
                EXISTS (SELECT 1 FROM public.tenants WHERE lower(admin_email) = lower(p_email))`,
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
}
