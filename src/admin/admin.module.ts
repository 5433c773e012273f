import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { AdminTenantController } from './admin-tenant.controller.js';
import { AdminTenantService } from './admin-tenant.service.js';
import { PlatformAdminGuard } from './platform-admin.guard.js';
import { PlatformDatabase } from './platform-database.js';
import { PlatformTenantRepository } from './platform-tenant.repository.js';

export const PLATFORM_DATABASE = Symbol('PLATFORM_DATABASE');

/**
 * The operators' HTTP API. Its database door (PlatformDatabase) is created only when an owner URL
 * is known; the pool is opened lazily by pg on first use and closed at shutdown.
 */
@Module({})
export class AdminModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(PLATFORM_DATABASE) private readonly platform?: PlatformDatabase) {}

  static forRoot(ownerUrl: string | undefined): DynamicModule {
    if (!ownerUrl) new Logger('Admin').warn('no owner database URL: the admin API is disabled');
    return {
      module: AdminModule,
      controllers: ownerUrl ? [AdminTenantController] : [],
      providers: [
        PlatformAdminGuard,
        { provide: PLATFORM_DATABASE, useFactory: () => (ownerUrl ? new PlatformDatabase(ownerUrl) : undefined) },
        {
          provide: AdminTenantService,
          inject: [PLATFORM_DATABASE],
          useFactory: (db?: PlatformDatabase) => db && new AdminTenantService(new PlatformTenantRepository(db)),
        },
      ],
      exports: [PlatformAdminGuard],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.platform?.end();
  }
}
