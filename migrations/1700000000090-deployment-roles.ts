import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LEGACY_ROLES, quotedRoles, readDeploymentRoles, recordedRoles, recordRolesSql, restrictConnectSql } from '../src/database/roles.js';

/**
 * Every database knows its own roles, and only its app role may connect to it.
 *
 * A database that migration 3 built before roles were per database has no record of its roles: they
 * are the cluster-wide `fraudguard_owner`, `fraudguard_app` and `fraudguard_platform`, which it keeps
 * using (nothing about them changes — not their password, not their grants elsewhere), now recorded
 * like any other database's. A database built since has its record from migration 3.
 *
 * Then PUBLIC loses CONNECT on this database and the app role gets CONNECT, so the
 * app role of another deployment on the same server cannot open a session here. The database's
 * owner and superusers keep connecting, so migrations, start-up and the operators' connection are
 * unaffected. A template clone does not inherit these database privileges: start-up applies them
 * again (database-startup.ts).
 */
export class DeploymentRoles1700000000090 implements MigrationInterface {
  name = 'DeploymentRoles1700000000090';

  async up(q: QueryRunner): Promise<void> {
    if (!(await recordedRoles(q))) await q.query(recordRolesSql(LEGACY_ROLES));
    await q.query(restrictConnectSql(await readDeploymentRoles(q)));
  }

  /** Back to PostgreSQL's default database privileges; the record stays (migration 3's down removes it). */
  async down(q: QueryRunner): Promise<void> {
    const { app } = quotedRoles(await readDeploymentRoles(q));
    await q.query(`
      DO $$
      BEGIN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO PUBLIC', current_database());
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %s', current_database(), ${`'${app.replace(/'/g, "''")}'`});
      END $$;
    `);
  }
}
