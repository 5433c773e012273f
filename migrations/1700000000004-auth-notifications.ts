import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedRoles, readDeploymentRoles } from '../src/database/roles.js';

/**
 * API-key look-ups are cached in each API process for seconds. So that a revoked key or a
 * suspended tenant stops working at once on every instance, the database itself announces those
 * changes (NOTIFY is delivered on commit, whoever made the change: API, CLI or psql).
 */
export class AuthNotifications1700000000004 implements MigrationInterface {
  name = 'AuthNotifications1700000000004';

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const { owner } = quotedRoles(roles);
    await q.query(`
      CREATE FUNCTION fg_notify_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('fraudguard_auth', 'key:' || OLD.key_hash);
        RETURN NULL;
      END $$;
      CREATE FUNCTION fg_notify_tenant_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('fraudguard_auth', 'tenant:' || OLD.tenant_id);
        RETURN NULL;
      END $$;
      ALTER FUNCTION fg_notify_api_key_change() OWNER TO ${owner};
      ALTER FUNCTION fg_notify_tenant_change() OWNER TO ${owner};

      CREATE TRIGGER tenant_api_keys_notify
        AFTER UPDATE OF is_active, expires_at, scopes, rate_limit_per_minute OR DELETE ON tenant_api_keys
        FOR EACH ROW EXECUTE FUNCTION fg_notify_api_key_change();
      CREATE TRIGGER tenants_notify
        AFTER UPDATE OF status, trial_ends_at, plan OR DELETE ON tenants
        FOR EACH ROW EXECUTE FUNCTION fg_notify_tenant_change();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tenants_notify ON tenants;
      DROP TRIGGER tenant_api_keys_notify ON tenant_api_keys;
      DROP FUNCTION fg_notify_tenant_change();
      DROP FUNCTION fg_notify_api_key_change();
    `);
  }
}
