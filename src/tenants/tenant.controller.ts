import { Body, Controller, Get, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated, Public } from '../common/authenticated.decorator.js';
import { PublicRateLimit } from '../rate-limit/public-rate-limit.js';
import { SignupDto, TenantUpdateDto, TenantView } from './tenant.dto.js';
import { TenantService } from './tenant.service.js';

@ApiTags('tenants')
@Controller('tenants')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Post('signup')
  @Public()
  @PublicRateLimit('signup')
  signup(@Body() dto: SignupDto) {
    return this.tenants.signup(dto);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: "The caller's organization" })
  @ApiOkResponse({ type: TenantView })
  me(@Auth() auth: AuthContext) {
    return this.tenants.getCurrent(auth);
  }

  @Put('me')
  @Authenticated({ role: 'ADMIN' })
  update(@Auth() auth: AuthContext, @Body() dto: TenantUpdateDto) {
    return this.tenants.update(auth, dto);
  }

  @Get('usage')
  @Authenticated({ role: 'MANAGER' })
  usage(@Auth() auth: AuthContext) {
    return this.tenants.usage(auth);
  }
}
