import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Public } from '../common/authenticated.decorator.js';
import { PublicRateLimit } from '../rate-limit/public-rate-limit.js';
import { ForgotPasswordDto, LoginDto, RefreshTokenDto, ResetPasswordDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';
import { RequestHost } from './request-host.decorator.js';

/** Public by nature: the body carries the credential (password, refresh or reset token). Counted per client IP, login and reset also per e-mail. */
@Controller('auth')
@Public()
@PublicRateLimit('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @PublicRateLimit('login')
  login(@Body() dto: LoginDto, @RequestHost() host: string | undefined) {
    return this.auth.login(dto, host);
  }

  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() dto: RefreshTokenDto) {
    return this.auth.refresh(dto.refresh_token);
  }

  @Post('logout')
  @HttpCode(204)
  logout(@Body() dto: RefreshTokenDto) {
    return this.auth.logout(dto.refresh_token);
  }

  @Post('forgot-password')
  @HttpCode(202)
  @PublicRateLimit('password-reset')
  forgotPassword(@Body() dto: ForgotPasswordDto, @RequestHost() host: string | undefined) {
    return this.auth.forgotPassword(dto, host);
  }

  @Post('reset-password')
  @HttpCode(204)
  resetPassword(@Body() dto: ResetPasswordDto) {
    return this.auth.resetPassword(dto);
  }
}
