import { DynamicModule, Logger, Module } from '@nestjs/common';
import { ApiKeyModule } from '../api-keys/api-key.module.js';
import { PlatformDatabaseModule } from '../database/platform-database.module.js';
import { UserModule } from '../users/user.module.js';
import { DemoApiKeyIssuer } from '../tenants/demo-api-key.js';
import { AdminTenantController } from './admin-tenant.controller.js';
import { AdminTenantService } from './admin-tenant.service.js';
import { PlatformAdminGuard } from './platform-admin.guard.js';
import { PlatformTenantRepository } from './platform-tenant.repository.js';

/**
 * The operators' tooling: the HTTP admin API, the services the CLI shares with it, and the demo
 * key of a first start. Its database door (PlatformDatabaseModule) exists only when an owner URL is
 * known; without one the admin routes do not exist (404) and nothing here touches the database.
 */
@Module({})
export class AdminModule {
  static forRoot(ownerUrl: string | undefined, options: { applicationName?: string } = {}): DynamicModule {
    if (!ownerUrl) {
      new Logger('Admin').warn('no owner database URL: the admin API is disabled');
      return { module: AdminModule, providers: [PlatformAdminGuard], exports: [PlatformAdminGuard] };
    }
    return {
      module: AdminModule,
      imports: [PlatformDatabaseModule.forRoot(ownerUrl, options.applicationName), ApiKeyModule, UserModule],
      controllers: [AdminTenantController],
      providers: [PlatformAdminGuard, PlatformTenantRepository, AdminTenantService, DemoApiKeyIssuer],
      exports: [PlatformAdminGuard, AdminTenantService, DemoApiKeyIssuer],
    };
  }
}
