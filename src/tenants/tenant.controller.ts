import { Body, Controller, Get, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, Public } from '../common/authenticated.decorator.js';
import { Bound } from '../database/request-scope.js';
import { SignupDto, TenantDto, TenantUpdateDto } from './tenant.dto.js';
import { TenantService } from './tenant.service.js';

@ApiTags('tenants')
@Controller('tenants')
export class TenantController {
  @Post('signup')
  @Public()
  signup(@Body() dto: SignupDto, @Bound(TenantService) tenants: TenantService) {
    return tenants.signup(dto);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: "The caller's organization" })
  @ApiOkResponse({ type: TenantDto })
  me(@Bound(TenantService) tenants: TenantService) {
    return tenants.getCurrent();
  }

  @Put('me')
  @Authenticated({ role: 'ADMIN' })
  update(@Body() dto: TenantUpdateDto, @Bound(TenantService) tenants: TenantService) {
    return tenants.update(dto);
  }

  @Get('usage')
  @Authenticated({ role: 'MANAGER' })
  usage(@Bound(TenantService) tenants: TenantService) {
    return tenants.usage();
  }
}
