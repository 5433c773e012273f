import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import type { ConfigType } from '@nestjs/config';
import type { databaseConfig } from '../config/database.config.js';
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
    // An unreachable host fails start-up within seconds rather than after the OS's TCP timeout.
    connectTimeoutMS: 10_000,
    extra: { max: 2, application_name: 'fraudguard-owner' },
  });
}

/** The app role's pool: every request's transaction comes from here. */
export function appDataSourceOptions(
  url: string,
  config: Pick<ConfigType<typeof databaseConfig>, 'dbPoolSize' | 'dbAcquireTimeoutMs' | 'dbStatementTimeoutMs'>,
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: config.dbPoolSize,
      // pg-pool applies this to waiting for a free client too, so an exhausted pool answers
      // promptly (503) instead of queueing requests forever.
      connectionTimeoutMillis: config.dbAcquireTimeoutMs,
      statement_timeout: config.dbStatementTimeoutMs,
      idle_in_transaction_session_timeout: 30_000,
      application_name: 'fraudguard-api',
    },
  };
}

/**
 * The operators' pool (src/admin: admin API and CLI): the owner's URL, though every transaction
 * drops to the platform role (PlatformTransactionAdapter). Small and separate, so operator traffic
 * never competes with tenant requests for the app pool.
 */
export function platformDataSourceOptions(ownerUrl: string, applicationName = 'fraudguard-platform'): DataSourceOptions {
  return {
    type: 'postgres',
    url: ownerUrl,
    entities,
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: 2, idleTimeoutMillis: 10_000, application_name: applicationName },
  };
}
