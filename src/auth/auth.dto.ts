import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ROLES, type Role } from '../common/auth-context.js';
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
@ApiSchema({ name: 'TokenPair' })
export class TokenPair {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJl' }) access_token: string;
  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' }) token_type: 'Bearer';
  @ApiProperty({ type: 'integer', example: 900, description: 'Seconds until access_token expires' }) expires_in: number;
  @ApiProperty({ example: 'fgr_4kT0q1oXbZyq8mG2nE5wLrVj7sA9dCuH3pYfBe6tNiM' }) refresh_token: string;
  @ApiProperty({ type: 'integer', example: 2592000, description: 'Seconds until refresh_token expires' }) refresh_expires_in: number;
}

@ApiSchema({ name: 'LoginUser' })
export class LoginUserView {
  @ApiProperty({ type: 'integer', example: 7 }) id: number;
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$', example: 'tenant_Qm9yZ2VzLXRlc3Q', description: 'The organization (an opaque string id)' }) tenant_id: string;
  @ApiProperty({ format: 'email', example: 'ada@acme.example' }) email: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' }) full_name: string | null;
  @ApiProperty({ enum: ROLES, example: 'ADMIN' }) role: Role;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) last_login: Date | null;
}

/** What login answers: the tokens and who logged in. */
@ApiSchema({ name: 'Login' })
export class LoginView extends TokenPair {
  @ApiProperty({ type: LoginUserView }) user: LoginUserView;
}

export function loginUserView(user: LoggedInUser): LoginUserView {
  return { id: user.id, tenant_id: user.tenantId, email: user.email, full_name: user.fullName, role: user.role, last_login: user.lastLogin };
}
