import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/authenticated.decorator.js';
import { ApiProblems, Problem, problemDoc } from '../common/problem.schema.js';
import { PublicRateLimit } from '../rate-limit/public-rate-limit.js';
import { ForgotPasswordDto, LoginDto, RefreshTokenDto, ResetPasswordDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';
import { RequestHost } from './request-host.decorator.js';

const EXAMPLE_REFRESH_TOKEN = 'fgr_ZGVmYXVsdC10ZW5hbnQtMDAx.hoCdfRVz4pZW-ph0RYyXa8MumzWtmSLUzn0_DDEQ4_U';

/** Public by nature: the body carries the credential (password, refresh or reset token). Counted per client IP, login and reset also per e-mail. */
@ApiTags('Auth')
@Controller('auth')
@Public()
@PublicRateLimit('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in with e-mail and password',
    description:
      'Answers a short-lived access token (send it as `Authorization: Bearer …`) and a refresh token. When the e-mail ' +
      "belongs to several organizations, send the organization's `subdomain` too (or call the organization's own host).",
  })
  @ApiBody({
    type: LoginDto,
    examples: { login: { summary: "The organization's admin", value: { email: 'ada@acme-payments.example', password: 'Corr3ct-Horse-Battery' } } },
  })
  @ApiProblems(
    problemDoc(400, 'tenant-required', 'Organization required', "This e-mail belongs to several organizations: send the organization's subdomain with the login (or use its host)"),
    problemDoc(401, 'invalid-credentials', 'Invalid credentials', 'The e-mail or the password is wrong'),
    Problem.tenantSuspended(),
    problemDoc(429, 'login-locked', 'Too many failed logins', 'Too many failed logins for this account; try again in 300 seconds'),
  )
  @PublicRateLimit('login')
  login(@Body() dto: LoginDto, @RequestHost() host: string | undefined) {
    return this.auth.login(dto, host);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange a refresh token for new tokens',
    description: 'The refresh token is rotated: use the new one next time. Presenting an already used refresh token revokes its whole session.',
  })
  @ApiBody({ type: RefreshTokenDto, examples: { refresh: { summary: 'The refresh_token of the last login or refresh', value: { refresh_token: EXAMPLE_REFRESH_TOKEN } } } })
  @ApiProblems(problemDoc(401, 'invalid-refresh-token', 'Invalid refresh token', 'The refresh token is invalid, expired or revoked'), Problem.tenantSuspended())
  refresh(@Body() dto: RefreshTokenDto) {
    return this.auth.refresh(dto.refresh_token);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End a session', description: 'Revokes the refresh token and its session. An unknown token is not an error: logging out twice is fine.' })
  @ApiBody({ type: RefreshTokenDto, examples: { logout: { summary: 'The session to end', value: { refresh_token: EXAMPLE_REFRESH_TOKEN } } } })
  logout(@Body() dto: RefreshTokenDto) {
    return this.auth.logout(dto.refresh_token);
  }

  @Post('forgot-password')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Ask for a password-reset e-mail',
    description: 'Always 202, whether or not the e-mail is known, so the answer reveals nothing; a known user receives a one-time reset token by e-mail.',
  })
  @ApiBody({ type: ForgotPasswordDto, examples: { forgot: { summary: 'A user who forgot the password', value: { email: 'ada@acme-payments.example' } } } })
  @ApiAcceptedResponse({
    description: 'Taken into account; a known user receives an e-mail',
    schema: { type: 'object', properties: { status: { type: 'string', enum: ['accepted'] } }, required: ['status'] },
  })
  @PublicRateLimit('password-reset')
  forgotPassword(@Body() dto: ForgotPasswordDto, @RequestHost() host: string | undefined) {
    return this.auth.forgotPassword(dto, host);
  }

  @Post('reset-password')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Set a new password with a reset token',
    description: 'The token from the reset e-mail works once. Every session of the user ends: log in again with the new password.',
  })
  @ApiBody({
    type: ResetPasswordDto,
    examples: { reset: { summary: 'The token from the e-mail and a new password', value: { token: 'fgp_ZGVmYXVsdC10ZW5hbnQtMDAx.x-X0Uzu7fB4ZvvIrYJC_IGvxs67pYqn0ArqI6lkdC58', new_password: 'N3w-Horse-Battery-Staple' } } },
  })
  @ApiProblems(problemDoc(400, 'invalid-reset-token', 'Invalid reset token', 'The reset token is invalid, expired or already used'))
  resetPassword(@Body() dto: ResetPasswordDto) {
    return this.auth.resetPassword(dto);
  }
}
