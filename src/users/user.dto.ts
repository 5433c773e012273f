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
export interface UserView {
  id: number;
  tenant_id: string;
  email: string;
  full_name: string | null;
  role: Role;
  is_active: boolean | null;
  email_verified: boolean | null;
  last_login: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
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
