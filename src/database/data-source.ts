import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { entities } from './entities.js';

/** The owner's DataSource: migrations and start-up tasks only, never the request path. */
export function createOwnerDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    // An entity with a generated uuid would make TypeORM run CREATE EXTENSION "uuid-ossp" at every
    // initialize; gen_random_uuid() is built in, and only migrations change the schema.
    installExtensions: false,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error'],
    extra: { max: 2, application_name: 'fraudguard-owner' },
  });
}

/** The app role's pool: every request's transaction comes from here. */
export function createAppDataSource(
  url: string,
  pool: { size: number; acquireTimeoutMs: number; statementTimeoutMs: number },
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: pool.size,
      // pg-pool applies this to waiting for a free client too, so an exhausted pool answers
      // promptly (503) instead of queueing requests forever.
      connectionTimeoutMillis: pool.acquireTimeoutMs,
      statement_timeout: pool.statementTimeoutMs,
      idle_in_transaction_session_timeout: 30_000,
      application_name: 'fraudguard-api',
    },
  });
}
