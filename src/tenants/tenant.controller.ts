import { Body, Controller, Get, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, Public } from '../common/authenticated.decorator.js';
import { SignupDto, TenantDto, TenantUpdateDto } from './tenant.dto.js';
import { TenantService } from './tenant.service.js';

@ApiTags('tenants')
@Controller('tenants')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Post('signup')
  @Public()
  signup(@Body() dto: SignupDto) {
    return this.tenants.signup(dto);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: "The caller's organization" })
  @ApiOkResponse({ type: TenantDto })
  me() {
    return this.tenants.getCurrent();
  }

  @Put('me')
  @Authenticated({ role: 'ADMIN' })
  update(@Body() dto: TenantUpdateDto) {
    return this.tenants.update(dto);
  }

  @Get('usage')
  @Authenticated({ role: 'MANAGER' })
  usage() {
    return this.tenants.usage();
  }
}
