import { Controller, Get } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { TenantService } from './tenant.service.js';

@Controller('tenants')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Get('me')
  @Authenticated()
  me() {
    return this.tenants.getCurrent();
  }
}
