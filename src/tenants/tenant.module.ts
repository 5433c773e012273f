import { Module } from '@nestjs/common';
import { ApiKeyModule } from '../api-keys/api-key.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { UserModule } from '../users/user.module.js';
import { TenantController } from './tenant.controller.js';

@Module({
  imports: [AuthModule, UserModule, ApiKeyModule],
  controllers: [TenantController],
})
export class TenantModule {}
