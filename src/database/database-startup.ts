import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appRoleUrl, databaseConfig } from '../config/database.config.js';
import { DEFAULT_TENANT_ID } from '../tenants/default-tenant.js';
import { createOwnerDataSource } from './data-source.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { migrateDatabase } from './legacy-adoption.js';
import { connectNeedsRestricting, type DeploymentRoles, LEGACY_ROLES, recordedRoles, restrictConnectSql } from './roles.js';

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
  const owner = createOwnerDataSource(ownerUrl);
  await owner.initialize();
  let roles: DeploymentRoles | null;
  try {
    if (config.migrationsRun) {
      const run = await migrateDatabase(owner);
      if (run.inspection.state === 'legacy') {
        const sizes = run.inspection.tables.map((table) => `${table.table} ~${table.rows} rows`).join(', ');
        logger.log(`adopted a single-tenant FraudGuard database (${sizes}): migration 0 recorded as its baseline`);
      }
      if (run.applied.length) logger.log(`applied migrations: ${run.applied.join(', ')}`);
      if (run.convertedTenantPlan && run.inspection.state !== 'empty') logger.log(`single-tenant data converted into tenant ${DEFAULT_TENANT_ID} (${run.convertedTenantPlan} plan)`);
    }
    roles = await recordedRoles(owner);
    // A template clone does not inherit its template's database privileges: PUBLIC could connect again.
    if (roles && (await connectNeedsRestricting(owner, roles))) await owner.query(restrictConnectSql(roles));
  } finally {
    await owner.destroy();
  }
  const appUrl = config.appDatabaseUrl ?? appRoleUrl(ownerUrl, (roles ?? LEGACY_ROLES).app, config.appDbPassword);
  return { ownerUrl, appUrl, stop };
}
