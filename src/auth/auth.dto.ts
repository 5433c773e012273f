import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { Role } from '../common/auth-context.js';
import type { LoggedInUser } from './auth.repository.js';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH } from './password.policy.js';

/** E-mails are compared and stored lower-cased and trimmed. */
export const NormalizeEmail = () => Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));
const Lowercase = () => Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));

export class LoginDto {
  @NormalizeEmail()
  @IsEmail()
  @MaxLength(255)
  email: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX_LENGTH)
  password: string;

  /** The organization's subdomain; needed only when the e-mail belongs to several organizations. */
  @IsOptional()
  @Lowercase()
  @IsString()
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'subdomain must contain only a-z, 0-9 and -' })
  subdomain?: string;
}

export class RefreshTokenDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  refresh_token: string;
}

export class ForgotPasswordDto {
  @NormalizeEmail()
  @IsEmail()
  @MaxLength(255)
  email: string;

  @IsOptional()
  @Lowercase()
  @IsString()
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'subdomain must contain only a-z, 0-9 and -' })
  subdomain?: string;
}

export class ResetPasswordDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  token: string;

  @IsAcceptablePassword()
  new_password: string;
}

/** What login and refresh answer. */
export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export interface LoginUserView {
  id: number;
  tenant_id: string;
  email: string;
  full_name: string | null;
  role: Role;
  last_login: Date | null;
}

/**
 * What login answers.
 * Its service returns it with `satisfies`, not as a declared return type: the Swagger plugin
 * documents a named non-class return type as a bare `object`, and openapi.json pins what this
 * route documents.
 */
export type LoginView = TokenPair & { user: LoginUserView };

export function loginUserView(user: LoggedInUser): LoginUserView {
  return { id: user.id, tenant_id: user.tenantId, email: user.email, full_name: user.fullName, role: user.role, last_login: user.lastLogin };
}
