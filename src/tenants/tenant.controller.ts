import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/authenticated.decorator.js';
import { TenantDto } from './tenant.dto.js';
import { TenantService } from './tenant.service.js';

@ApiTags('tenants')
@Controller('tenants')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: "The caller's organization" })
  @ApiOkResponse({ type: TenantDto })
  me() {
    return this.tenants.getCurrent();
  }
}
