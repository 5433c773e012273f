import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { DynamicModule, Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { databaseConfig } from '../config/database.config.js';
import { AuthChangeListener } from './auth-change-listener.js';
import { CurrentTransaction } from './current-transaction.js';
import { appDataSourceOptions } from './data-source.js';
import { APP_DATABASE_URL } from './database.tokens.js';
import { TenantTransactionAdapter } from './tenant-transaction.adapter.js';

/**
 * The app role's DataSource (@nestjs/typeorm, closed at shutdown after in-flight requests finish)
 * and the request-context machinery: nestjs-cls with @nestjs-cls/transactional, whose
 * TransactionHost hands every repository the EntityManager of the current transaction.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(appDatabaseUrl: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        // No retries: a database that does not answer at start-up is a configuration error, reported at once.
        TypeOrmModule.forRootAsync({
          inject: [databaseConfig.KEY],
          useFactory: (config: ConfigType<typeof databaseConfig>) => ({ ...appDataSourceOptions(appDatabaseUrl, config), retryAttempts: 1 }),
        }),
        ClsModule.forRoot({
          global: true,
          plugins: [new ClsPluginTransactional({ adapter: new TenantTransactionAdapter() })],
        }),
      ],
      providers: [{ provide: APP_DATABASE_URL, useValue: appDatabaseUrl }, AuthChangeListener, CurrentTransaction],
      exports: [APP_DATABASE_URL, AuthChangeListener, CurrentTransaction],
    };
  }
}
