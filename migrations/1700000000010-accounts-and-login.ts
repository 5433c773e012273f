import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedRoles, readDeploymentRoles } from '../src/database/roles.js';
import { definerFunction, protectTenantTable, unprotectTenantTable } from './row-level-security.js';

/**
 * Migration 10: what login, refresh tokens, password resets, lockout and signup need.
 *
 * - tenant_users gets a failure counter and a lock for per-account lockout, stored in the database
 *   so every API instance sees the same count.
 * - tenant_refresh_tokens and tenant_password_resets hold only SHA-256 hashes of opaque tokens; both
 *   are tenant tables (tenant_id leads PK, unique and FK; RLS forced).
 * - A NOTIFY on role / is_active changes of a user, so cached JWT principals are dropped on every
 *   instance the moment a user is demoted or deactivated.
 * - Narrow SECURITY DEFINER look-ups for what is asked before a tenant is known: signup conflicts,
 *   login candidates (with lockout state) and the JWT principal.
 */
export class AccountsAndLogin1700000000010 implements MigrationInterface {
  name = 'AccountsAndLogin1700000000010';

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const { owner, app } = quotedRoles(roles);
    await q.query(`
      ALTER TABLE tenant_users
        ADD COLUMN failed_login_count integer NOT NULL DEFAULT 0,
        ADD COLUMN locked_until timestamptz;

      CREATE TABLE tenant_refresh_tokens (
        id           bigserial,
        tenant_id    varchar(64) NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        user_id      integer NOT NULL,
        family_id    uuid NOT NULL,
        token_hash   varchar(64) NOT NULL,
        expires_at   timestamptz NOT NULL,
        used_at      timestamptz,
        revoked_at   timestamptz,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT tenant_refresh_tokens_hash_key UNIQUE (tenant_id, token_hash),
        FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, id) ON DELETE CASCADE
      );
      CREATE INDEX idx_refresh_tokens_family ON tenant_refresh_tokens (tenant_id, family_id);
      CREATE INDEX idx_refresh_tokens_user ON tenant_refresh_tokens (tenant_id, user_id);

      CREATE TABLE tenant_password_resets (
        id           bigserial,
        tenant_id    varchar(64) NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        user_id      integer NOT NULL,
        token_hash   varchar(64) NOT NULL,
        expires_at   timestamptz NOT NULL,
        used_at      timestamptz,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT tenant_password_resets_hash_key UNIQUE (tenant_id, token_hash),
        FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, id) ON DELETE CASCADE
      );
      CREATE INDEX idx_password_resets_user ON tenant_password_resets (tenant_id, user_id);
    `);
    await q.query(protectTenantTable('tenant_refresh_tokens', 'SELECT, INSERT, UPDATE', roles));
    await q.query(protectTenantTable('tenant_password_resets', 'SELECT, INSERT, UPDATE', roles));
    await q.query(`
      GRANT USAGE ON SEQUENCE tenant_refresh_tokens_id_seq TO ${app};
      GRANT USAGE ON SEQUENCE tenant_password_resets_id_seq TO ${app};

      CREATE FUNCTION fg_notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('fraudguard_auth', 'user:' || OLD.tenant_id || ':' || OLD.id);
        RETURN NULL;
      END $$;
      ALTER FUNCTION fg_notify_user_change() OWNER TO ${owner};
      CREATE TRIGGER tenant_users_notify
        AFTER UPDATE OF role, is_active OR DELETE ON tenant_users
        FOR EACH ROW EXECUTE FUNCTION fg_notify_user_change();
    `);
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
        'fg_login_lookup(p_email text, p_subdomain text)',
        `TABLE (user_id integer, tenant_id varchar, subdomain varchar, password_hash varchar, role varchar,
                is_active boolean, tenant_status varchar, trial_ends_at timestamptz,
                failed_login_count integer, locked_until timestamptz)`,
        `SELECT u.id, u.tenant_id, t.subdomain, u.password_hash, u.role, u.is_active, t.status, t.trial_ends_at,
                u.failed_login_count, u.locked_until
           FROM public.tenant_users u JOIN public.tenants t ON t.tenant_id = u.tenant_id
          WHERE lower(u.email) = lower(p_email)
            AND (p_subdomain IS NULL OR t.subdomain = lower(p_subdomain))
          ORDER BY u.tenant_id
          LIMIT 10`,
        roles,
      ),
    );
    await q.query(
      definerFunction(
        'fg_auth_principal(p_tenant_id text, p_user_id integer)',
        `TABLE (role varchar, is_active boolean, tenant_status varchar, trial_ends_at timestamptz)`,
        `SELECT u.role, u.is_active, t.status, t.trial_ends_at
           FROM public.tenant_users u JOIN public.tenants t ON t.tenant_id = u.tenant_id
          WHERE u.tenant_id = p_tenant_id AND u.id = p_user_id`,
        roles,
      ),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    await q.query(`
      DROP FUNCTION fg_auth_principal(text, integer);
      DROP FUNCTION fg_login_lookup(text, text);
      DROP FUNCTION fg_signup_conflicts(text, text);
      DROP TRIGGER tenant_users_notify ON tenant_users;
      DROP FUNCTION fg_notify_user_change();
    `);
    await q.query(unprotectTenantTable('tenant_password_resets', roles));
    await q.query(unprotectTenantTable('tenant_refresh_tokens', roles));
    await q.query(`
      DROP TABLE tenant_password_resets, tenant_refresh_tokens;
      ALTER TABLE tenant_users DROP COLUMN locked_until, DROP COLUMN failed_login_count;
    `);
  }
}
