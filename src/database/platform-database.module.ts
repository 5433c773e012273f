import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { platformDataSourceOptions } from './data-source.js';
import { PLATFORM_CONNECTION, PlatformTransactionAdapter } from './platform-transaction.adapter.js';

/**
 * The operators' door to the database: a named TypeORM connection (`platform`) on the owner's URL,
 * closed at shutdown by @nestjs/typeorm, and its own @nestjs-cls/transactional plugin, whose
 * `@InjectTransactionHost('platform')` hands the operators' repositories the current platform
 * transaction. Only src/admin imports it, and only when an owner URL is known.
 */
@Module({})
export class PlatformDatabaseModule {
  static forRoot(ownerUrl: string, applicationName?: string): DynamicModule {
    return {
      module: PlatformDatabaseModule,
      imports: [
        // No retries: an owner URL that does not answer at start-up is a configuration error, reported at once.
        TypeOrmModule.forRootAsync({
          name: PLATFORM_CONNECTION,
          useFactory: () => ({ ...platformDataSourceOptions(ownerUrl, applicationName), retryAttempts: 1 }),
        }),
        ClsModule.registerPlugins([new ClsPluginTransactional({ connectionName: PLATFORM_CONNECTION, adapter: new PlatformTransactionAdapter() })]),
      ],
    };
  }
}
