import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { NormalizeEmail } from '../auth/auth.dto.js';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH } from '../auth/password.policy.js';
import { ROLES, type Role } from '../common/auth-context.js';
import { IsEmail } from 'class-validator';

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
