import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appRoleUrl, databaseConfig } from '../config/database.config.js';
import { createOwnerDataSource } from './data-source.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface PreparedDatabase {
  ownerUrl: string;
  appUrl: string;
  /** Stops the embedded cluster, if this process started one. */
  stop(): Promise<void>;
}

const logger = new Logger('Database');

/**
 * Before the app serves: find or start the database (DATABASE_URL, else embedded PostgreSQL under
 * ./.data), apply pending migrations as the owner unless MIGRATIONS_RUN=false, then hand back the
 * app role's URL. Runtime traffic never uses the owner connection.
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
  if (config.migrationsRun) {
    const owner = createOwnerDataSource(ownerUrl);
    await owner.initialize();
    try {
      const applied = await owner.runMigrations({ transaction: 'each' });
      if (applied.length) logger.log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
    } finally {
      await owner.destroy();
    }
  }
  const appUrl = config.appDatabaseUrl ?? appRoleUrl(ownerUrl, config.appDbPassword);
  return { ownerUrl, appUrl, stop };
}
