import { Body, Controller, Get, Post, Put } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated, Public } from '../common/authenticated.decorator.js';
import { ApiProblems, Problem } from '../common/problem.schema.js';
import { PublicRateLimit } from '../rate-limit/public-rate-limit.js';
import { SignupDto, TenantUpdateDto, TenantView } from './tenant.dto.js';
import { TenantService } from './tenant.service.js';

@ApiTags('Tenants')
@Controller('tenants')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Post('signup')
  @Public()
  @ApiOperation({
    summary: 'Sign up an organization',
    description:
      'Creates the organization, its first ADMIN user (who can log in at once) and a first API key. The key is shown ' +
      'in this answer only: store it now. Log in as the admin for the routes people use (users, API keys).',
  })
  @ApiBody({
    type: SignupDto,
    examples: {
      signup: {
        summary: 'A new organization on the Professional plan',
        value: {
          organization_name: 'Acme Payments Ltd',
          subdomain: 'acme-payments',
          admin_full_name: 'Ada Lovelace',
          admin_email: 'ada@acme-payments.example',
          admin_phone: '+44 20 7946 0958',
          admin_password: 'Corr3ct-Horse-Battery',
          plan: 'PROFESSIONAL',
        },
      },
    },
  })
  @ApiProblems(
    Problem.conflict('subdomain-taken', 'Subdomain taken', 'This subdomain is already taken', { conflicts: ['subdomain'] }),
    Problem.forbidden('signup-disabled', 'Signup disabled', 'Self-service signup is not open on this installation'),
  )
  @PublicRateLimit('signup')
  signup(@Body() dto: SignupDto) {
    return this.tenants.signup(dto);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: "The caller's organization", description: 'Its plan, status, limits and scoring settings (`ml_config`).' })
  @ApiOkResponse({ type: TenantView })
  me(@Auth() auth: AuthContext) {
    return this.tenants.getCurrent(auth);
  }

  @Put('me')
  @Authenticated({ role: 'ADMIN' })
  @ApiOperation({
    summary: "Change the organization's settings",
    description: 'Every field is optional. `ml_config` is merged into the stored one (send `notification_email: null` to stop e-mails); `settings` replaces the stored object.',
  })
  @ApiBody({
    type: TenantUpdateDto,
    examples: {
      scoring: {
        summary: 'Block risky payments automatically and notify the fraud team',
        value: {
          organization_name: 'Acme Payments Ltd',
          ml_config: { risk_threshold: 0.7, auto_block: true, notification_email: 'fraud-team@acme-payments.example' },
        },
      },
    },
  })
  @ApiOkResponse({ type: TenantView })
  update(@Auth() auth: AuthContext, @Body() dto: TenantUpdateDto) {
    return this.tenants.update(auth, dto);
  }

  @Get('usage')
  @Authenticated({ role: 'MANAGER' })
  @ApiOperation({ summary: "The organization's usage against its plan", description: 'Transactions this month against the monthly quota, active users and API keys.' })
  usage(@Auth() auth: AuthContext) {
    return this.tenants.usage(auth);
  }
}

