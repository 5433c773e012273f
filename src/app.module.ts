import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AdminModule } from './admin/admin.module.js';
import { ApiKeyModule } from './api-keys/api-key.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AccessGuard } from './common/access.guard.js';
import { IdempotencyModule } from './common/idempotency.module.js';
import { ProblemFilter } from './common/problem.filter.js';
import { TenantAuthGuard } from './common/tenant-auth.guard.js';
import { createValidationPipe } from './common/validation.js';
import { configModule, type FraudGuardConfig } from './config/fraudguard.config.js';
import { DatabaseModule } from './database/database.module.js';
import { TenantContextInterceptor } from './database/tenant-context.interceptor.js';
import { HealthModule } from './health/health.module.js';
import { MailModule } from './mail/mail.module.js';
import { RateLimitGuard } from './rate-limit/rate-limit.guard.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { TenantModule } from './tenants/tenant.module.js';
import { TransactionModule } from './transactions/transaction.module.js';
import { UserModule } from './users/user.module.js';

@Module({})
export class AppModule {
  /** `ownerDatabaseUrl` is for the operators' admin API only (src/admin); tenant traffic never sees it. */
  static forRoot(config: FraudGuardConfig, appDatabaseUrl: string, extraModules: Type[] = [], ownerDatabaseUrl = config.database.databaseUrl): DynamicModule {
    return {
      module: AppModule,
      imports: [
        configModule(config),
        DatabaseModule.forRoot(appDatabaseUrl),
        AuditModule,
        MailModule,
        RateLimitModule,
        ApiKeyModule,
        AuthModule,
        HealthModule,
        TenantModule,
        UserModule,
        IdempotencyModule,
        TransactionModule,
        AdminModule.forRoot(ownerDatabaseUrl),
        ObservabilityModule,
        ...extraModules,
      ],
      providers: [
        // Guards run in this order: identify the caller, check role / scopes, then count the request.
        { provide: APP_GUARD, useClass: TenantAuthGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        { provide: APP_INTERCEPTOR, useClass: TenantContextInterceptor },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
