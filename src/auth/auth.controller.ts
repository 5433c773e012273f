import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Public } from '../common/authenticated.decorator.js';
import { Bound } from '../database/request-scope.js';
import { ForgotPasswordDto, LoginDto, RefreshTokenDto, ResetPasswordDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';

/** Public by nature: the body carries the credential (password, refresh or reset token). */
@Controller('auth')
@Public()
export class AuthController {
  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto, @Bound(AuthService) auth: AuthService) {
    return auth.login(dto);
  }

  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() dto: RefreshTokenDto, @Bound(AuthService) auth: AuthService) {
    return auth.refresh(dto.refresh_token);
  }

  @Post('logout')
  @HttpCode(204)
  logout(@Body() dto: RefreshTokenDto, @Bound(AuthService) auth: AuthService) {
    return auth.logout(dto.refresh_token);
  }

  @Post('forgot-password')
  @HttpCode(202)
  forgotPassword(@Body() dto: ForgotPasswordDto, @Bound(AuthService) auth: AuthService) {
    return auth.forgotPassword(dto);
  }

  @Post('reset-password')
  @HttpCode(204)
  resetPassword(@Body() dto: ResetPasswordDto, @Bound(AuthService) auth: AuthService) {
    return auth.resetPassword(dto);
  }
}
