import { DynamicModule, Module } from '@nestjs/common';
import { ApiKeyModule } from '../api-keys/api-key.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { configModule, type FraudGuardConfig } from '../config/fraudguard.config.js';
import { DatabaseModule } from '../database/database.module.js';
import { MailModule } from '../mail/mail.module.js';
import { UserModule } from '../users/user.module.js';
import { AdminModule } from './admin.module.js';
import { OperatorCommands } from './operator-commands.js';

/**
 * The CLI's Nest application context: the application's own modules — the app role's connection
 * for tenant work, the operators' platform connection for cross-tenant work — and no HTTP server.
 */
@Module({})
export class CliModule {
  static forRoot(config: FraudGuardConfig, ownerUrl: string, appUrl: string): DynamicModule {
    return {
      module: CliModule,
      imports: [
        configModule(config),
        DatabaseModule.forRoot(appUrl),
        AuditModule,
        MailModule,
        ApiKeyModule,
        UserModule,
        AdminModule.forRoot(ownerUrl, { applicationName: 'fraudguard-cli' }),
      ],
      providers: [OperatorCommands],
    };
  }
}
