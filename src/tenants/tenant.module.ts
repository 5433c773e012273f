import { Module } from '@nestjs/common';
import { TenantController } from './tenant.controller.js';
import { TenantRepository } from './tenant.repository.js';
import { TenantService } from './tenant.service.js';

@Module({
  controllers: [TenantController],
  providers: [TenantService, TenantRepository],
})
export class TenantModule {}
