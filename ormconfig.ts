/**
 * The TypeORM DataSource for the CLI (`npm run migration:run`, `npm run migration:revert`). It is
 * the owner connection the app also migrates with: DATABASE_URL, or the embedded cluster under
 * ./.data when DATABASE_URL is unset (started here if no server answers on its port).
 */
import 'reflect-metadata';
import { loadConfig } from './src/config/fraudguard.config.js';
import { createOwnerDataSource } from './src/database/data-source.js';
import { startEmbeddedPostgres } from './src/database/embedded-postgres.js';

const config = loadConfig().database;
const ownerUrl =
  config.databaseUrl ??
  (await startEmbeddedPostgres({ dir: config.embeddedPgDir, port: config.embeddedPgPort, persistent: true })).ownerUrl;

export default createOwnerDataSource(ownerUrl);
