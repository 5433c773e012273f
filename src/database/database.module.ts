import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config/database.config.js';
import { AuthChangeListener } from './auth-change-listener.js';
import { createAppDataSource } from './data-source.js';
import { APP_DATA_SOURCE, APP_DATABASE_URL } from './database.tokens.js';

@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(APP_DATA_SOURCE) private readonly dataSource: DataSource) {}

  static forRoot(appDatabaseUrl: string): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: APP_DATABASE_URL, useValue: appDatabaseUrl },
        {
          provide: APP_DATA_SOURCE,
          inject: [databaseConfig.KEY],
          useFactory: async (config: ConfigType<typeof databaseConfig>) =>
            createAppDataSource(appDatabaseUrl, {
              size: config.dbPoolSize,
              acquireTimeoutMs: config.dbAcquireTimeoutMs,
              statementTimeoutMs: config.dbStatementTimeoutMs,
            }).initialize(),
        },
        AuthChangeListener,
      ],
      exports: [APP_DATABASE_URL, APP_DATA_SOURCE, AuthChangeListener],
    };
  }

  /** Runs after every in-flight request has finished (app.close() waits for the HTTP server). */
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
