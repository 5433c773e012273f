import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { NormalizeEmail } from '../auth/auth.dto.js';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH } from '../auth/password.policy.js';
import { ROLES, type Role } from '../common/auth-context.js';
import type { User } from './user.entity.js';

const Trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

export class CreateUserDto {
  @NormalizeEmail()
  @IsEmail()
  @MaxLength(255)
  email: string;

  /** At least 8 characters, an upper-case letter and a digit, not a commonly used password. */
  @IsAcceptablePassword()
  password: string;

  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  full_name: string;

  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class UpdateUserDto {
  @ValidateIf((o) => o.full_name !== undefined)
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  full_name?: string;

  @ValidateIf((o) => o.role !== undefined)
  @IsIn(ROLES)
  role?: Role;

  @ValidateIf((o) => o.is_active !== undefined)
  @IsBoolean()
  is_active?: boolean;
}

export class ChangePasswordDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX_LENGTH)
  current_password: string;

  @IsAcceptablePassword()
  new_password: string;
}

/** A tenant user as the API shows it: never the password hash, the MFA secret or the lockout counters. */
@ApiSchema({ name: 'User' })
export class UserView {
  @ApiProperty({ type: 'integer', example: 7 }) id: number;
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$', example: 'tenant_Qm9yZ2VzLXRlc3Q', description: 'The organization (an opaque string id)' }) tenant_id: string;
  @ApiProperty({ format: 'email', example: 'ada@acme.example' }) email: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' }) full_name: string | null;
  @ApiProperty({ enum: ROLES, example: 'ANALYST' }) role: Role;
  @ApiProperty({ type: Boolean, nullable: true, example: true }) is_active: boolean | null;
  @ApiProperty({ type: Boolean, nullable: true, example: false }) email_verified: boolean | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) last_login: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-03-14T09:26:53.589Z' }) created_at: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-03-14T09:26:53.589Z' }) updated_at: Date | null;
}

@ApiSchema({ name: 'UserPage' })
export class UserPage {
  @ApiProperty({ type: [UserView] }) data: UserView[];
  @ApiProperty({ example: false }) has_more: boolean;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Pass as starting_after for the next page' }) next_cursor: string | null;
}

export function userView(user: User): UserView {
  return {
    id: user.id,
    tenant_id: user.tenantId,
    email: user.email,
    full_name: user.fullName,
    role: user.role,
    is_active: user.isActive,
    email_verified: user.emailVerified,
    last_login: user.lastLogin,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}
