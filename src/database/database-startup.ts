import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appRoleUrl, databaseConfig } from '../config/database.config.js';
import { DEFAULT_TENANT_ID } from '../tenants/default-tenant.js';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { type ConnectionTarget, explainingConnectionErrors, StartupError } from './connection-errors.js';
import { createOwnerDataSource } from './data-source.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { migrateDatabase } from './legacy-adoption.js';
import { connectNeedsRestricting, LEGACY_ROLES, recordedRoles, restrictConnectSql } from './roles.js';

export interface PreparedDatabase {
  ownerUrl: string;
  appUrl: string;
  /** Stops the embedded cluster, if this process started one. */
  stop(): Promise<void>;
}

const logger = new Logger('Database');

/**
 * Before the app serves: find or start the database (DATABASE_URL, else embedded PostgreSQL under
 * ./.data), apply pending migrations as the owner unless MIGRATIONS_RUN=false — adopting a
 * single-tenant FraudGuard database first, refusing one that is neither that nor empty nor
 * migrated (legacy-adoption.ts) — make sure only the database's own app role may connect to it,
 * then hand back the app role's URL (the role recorded in the database, roles.ts). Runtime traffic
 * never uses the owner connection.
 */
export async function prepareDatabase(config: ConfigType<typeof databaseConfig>): Promise<PreparedDatabase> {
  let ownerUrl = config.databaseUrl;
  let stop = async () => undefined as void;
  if (!ownerUrl) {
    logger.log(`DATABASE_URL not set: using embedded PostgreSQL in ${config.embeddedPgDir} on port ${config.embeddedPgPort}`);
    const cluster = await startEmbeddedPostgres({ dir: config.embeddedPgDir, port: config.embeddedPgPort, persistent: true });
    ownerUrl = cluster.ownerUrl;
    stop = cluster.stop;
  }
  const ownerTarget: ConnectionTarget = {
    url: ownerUrl,
    source: config.databaseUrl ? 'DATABASE_URL' : `the embedded PostgreSQL (EMBEDDED_PG_DIR=${config.embeddedPgDir}, EMBEDDED_PG_PORT=${config.embeddedPgPort})`,
  };
  let appUrl: string;
  try {
    const roles = await explainingConnectionErrors(ownerTarget, async () => {
      const owner = createOwnerDataSource(ownerUrl);
      await owner.initialize();
      try {
        await migrateOrCheck(owner, config, ownerTarget);
        const recorded = await recordedRoles(owner);
        // A template clone does not inherit its template's database privileges: PUBLIC could connect again.
        if (recorded && (await connectNeedsRestricting(owner, recorded))) await owner.query(restrictConnectSql(recorded));
        return recorded ?? LEGACY_ROLES;
      } finally {
        await owner.destroy();
      }
    });
    appUrl = config.appDatabaseUrl ?? appRoleUrl(ownerUrl, roles.app, config.appDbPassword);
    const appTarget: ConnectionTarget = config.appDatabaseUrl
      ? { url: appUrl, source: 'APP_DATABASE_URL' }
      : { url: appUrl, source: ownerTarget.source, passwordSource: `APP_DB_PASSWORD (the password ${roles.app} was created with)` };
    // The app role's first connection, here rather than inside Nest's start-up: a wrong password or
    // a missing role is then one line naming the setting, not a stack trace from the pool.
    await explainingConnectionErrors(appTarget, async () => {
      const client = new pg.Client({ connectionString: appUrl, connectionTimeoutMillis: config.dbAcquireTimeoutMs });
      await client.connect();
      await client.end();
    });
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { ownerUrl, appUrl, stop };
}

/** Applies pending migrations (MIGRATIONS_RUN), or refuses a database that has none applied. */
async function migrateOrCheck(owner: DataSource, config: ConfigType<typeof databaseConfig>, ownerTarget: ConnectionTarget): Promise<void> {
  // Read, not owner.showMigrations(): that creates the migrations table, which the legacy adoption
  // must not find before it has inspected the database.
  const hasTable = (await owner.query(`SELECT to_regclass('migrations') IS NOT NULL AS present`))[0].present as boolean;
  const recorded = new Set<string>(hasTable ? (await owner.query(`SELECT name FROM migrations`)).map((row: { name: string }) => row.name) : []);
  const pending = owner.migrations.some((migration) => !recorded.has(migration.name ?? migration.constructor.name));
  if (!config.migrationsRun) {
    if (pending) {
      if (!recorded.size) throw new StartupError('the database is not migrated (MIGRATIONS_RUN=false): run `npm run cli -- migrate`, or start with MIGRATIONS_RUN=true');
      logger.warn('migrations are pending and MIGRATIONS_RUN=false: run `npm run cli -- migrate`');
    }
    return;
  }
  if (pending) await assertMayCreateRoles(owner, ownerTarget);
  const run = await migrateDatabase(owner);
  if (run.inspection.state === 'legacy') {
    const sizes = run.inspection.tables.map((table) => `${table.table} ~${table.rows} rows`).join(', ');
    logger.log(`adopted a single-tenant FraudGuard database (${sizes}): migration 0 recorded as its baseline`);
  }
  if (run.applied.length) logger.log(`applied migrations: ${run.applied.join(', ')}`);
  if (run.convertedTenantPlan && run.inspection.state !== 'empty') logger.log(`single-tenant data converted into tenant ${DEFAULT_TENANT_ID} (${run.convertedTenantPlan} plan)`);
}

/**
 * The migrations create and alter the deployment's roles, two of them BYPASSRLS: PostgreSQL lets a
 * superuser do that, and from version 16 a role with CREATEROLE and BYPASSRLS. Checked before the
 * first migration, so a role that cannot is told what it needs instead of failing halfway.
 */
async function assertMayCreateRoles(owner: DataSource, target: ConnectionTarget): Promise<void> {
  const [role] = await owner.query(
    `SELECT current_user AS name, rolsuper AS superuser, rolcreaterole AS create_role, rolbypassrls AS bypass_rls,
            current_setting('server_version_num')::int AS version
       FROM pg_roles WHERE rolname = current_user`,
  );
  if (role.superuser || (role.version >= 160000 && role.create_role && role.bypass_rls)) return;
  throw new StartupError(
    `the user "${role.name}" of ${target.source} cannot run the migrations: they create the database's roles fg_<database>_owner, _app and _platform ` +
      `(BYPASSRLS), which needs a superuser${role.version >= 160000 ? ' or a role with CREATEROLE and BYPASSRLS' : ''}: ` +
      'use such a user in DATABASE_URL, or have one run `npm run cli -- migrate` and start with MIGRATIONS_RUN=false',
  );
}
