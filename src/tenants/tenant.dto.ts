import { Transform, Type } from 'class-transformer';
import {
  registerDecorator, ValidationArguments,
  IsBoolean, IsEmail, IsIn, IsNotIn, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf, ValidateNested,
} from 'class-validator';
import { NormalizeEmail } from '../auth/auth.dto.js';
import { IsAcceptablePassword } from '../auth/password.policy.js';
import { RESERVED_SUBDOMAINS } from '../auth/subdomain.resolver.js';
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import type { Role } from '../common/auth-context.js';
import { PLAN_NAMES, type Plan } from './plans.js';
import type { Tenant } from './tenant.entity.js';

const Trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/** A deprecated field name: refused when sent together with the name that replaces it. */
function DeprecatedNameOf(replacement: string): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'deprecatedNameOf',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => (args.object as Record<string, unknown>)[replacement] === undefined,
        defaultMessage: () => `${String(propertyName)} is the former name of ${replacement}: send ${replacement} only`,
      },
    });
}

/** The admin's full name, under its name or its deprecated one (admin_name). */
export function adminFullNameOf(dto: { admin_full_name?: string | null; admin_name?: string | null }): string | undefined {
  return dto.admin_full_name ?? dto.admin_name ?? undefined;
}

/** The seed's TenantCreate plus admin_password in the body (never a query parameter). */
export class SignupDto {
  @Trim()
  @IsString()
  @MinLength(2)
  @MaxLength(255)
  organization_name: string;

  /** Lower-cased; a DNS label of 3–64 characters; reserved names are refused. */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString()
  @MinLength(3)
  @MaxLength(64)
  @Matches(/^[a-z0-9-]+$/, { message: 'subdomain must contain only a-z, 0-9 and -' })
  @Matches(/^[a-z0-9](.*[a-z0-9])?$/, { message: 'subdomain must start and end with a letter or a digit' })
  @IsNotIn([...RESERVED_SUBDOMAINS], { message: 'subdomain is reserved' })
  subdomain: string;

  /** The first ADMIN's full name (the user's full_name). */
  @ValidateIf((o) => o.admin_name === undefined || o.admin_full_name !== undefined)
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  admin_full_name: string;

  @ApiPropertyOptional({ deprecated: true, description: 'The former name of admin_full_name, still accepted in its place' })
  @ValidateIf((o) => o.admin_name !== undefined)
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  @DeprecatedNameOf('admin_full_name')
  admin_name?: string;

  @NormalizeEmail()
  @IsEmail()
  @MaxLength(255)
  admin_email: string;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(/^[0-9+() .-]{3,32}$/, { message: 'admin_phone must be a phone number' })
  admin_phone?: string;

  /** At least 8 characters, an upper-case letter and a digit, not a commonly used password. */
  @IsAcceptablePassword()
  admin_password: string;

  @IsOptional()
  @IsIn(PLAN_NAMES)
  plan?: Plan;
}

export class MlConfigDto {
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  risk_threshold?: number;

  @IsOptional()
  @IsBoolean()
  auto_block?: boolean;

  /** An e-mail, or null to stop notifications. */
  @IsOptional()
  @IsEmail()
  @MaxLength(255)
  notification_email?: string | null;
}

/** The seed's TenantUpdate. `ml_config` is merged into the stored one; `settings` replaces it. */
export class TenantUpdateDto {
  @ValidateIf((o) => o.organization_name !== undefined)
  @Trim()
  @IsString()
  @MinLength(2)
  @MaxLength(255)
  organization_name?: string;

  @ValidateIf((o) => o.admin_full_name !== undefined)
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  admin_full_name?: string;

  @ApiPropertyOptional({ deprecated: true, description: 'The former name of admin_full_name, still accepted in its place' })
  @ValidateIf((o) => o.admin_name !== undefined)
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  @DeprecatedNameOf('admin_full_name')
  admin_name?: string;

  @ValidateIf((o) => o.admin_email !== undefined)
  @NormalizeEmail()
  @IsEmail()
  @MaxLength(255)
  admin_email?: string;

  /** A phone number, or null to clear it. */
  @ValidateIf((o) => o.admin_phone !== undefined && o.admin_phone !== null)
  @IsString()
  @Matches(/^[0-9+() .-]{3,32}$/, { message: 'admin_phone must be a phone number' })
  admin_phone?: string | null;

  @ValidateIf((o) => o.settings !== undefined)
  @IsObject()
  settings?: Record<string, unknown>;

  @ValidateIf((o) => o.ml_config !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => MlConfigDto)
  ml_config?: MlConfigDto;
}

const ISO_TIME = '2026-03-14T09:26:53.589Z';

/** The tenant as its own members see it (GET /tenants/me, PUT /tenants/me). */
@ApiSchema({ name: 'Tenant' })
export class TenantView {
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$', example: 'tenant_Qm9yZ2VzLXRlc3Q', description: 'The organization: an opaque string id of 1–64 characters [A-Za-z0-9_-]' })
  tenant_id: string;
  @ApiProperty({ example: 'Acme Payments' }) organization_name: string;
  @ApiProperty({ example: 'acme' }) subdomain: string;
  @ApiProperty({ enum: PLAN_NAMES }) plan: Plan;
  @ApiProperty({ enum: ['ACTIVE', 'SUSPENDED', 'TRIAL', 'CANCELLED'] }) status: Tenant['status'];
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: {} }) settings: Record<string, unknown> | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { risk_threshold: 0.7, auto_block: false, notification_email: null } })
  ml_config: Record<string, unknown> | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 5 }) max_users: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 50000 }) max_transactions_per_month: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 10 }) max_storage_gb: number | null;
  @ApiProperty({ nullable: true, type: String, example: null }) stripe_customer_id: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) billing_email: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: ISO_TIME }) created_at: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: ISO_TIME }) updated_at: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: ISO_TIME }) trial_ends_at: Date | null;
  @ApiProperty({ nullable: true, type: String, example: 'Ada Lovelace', description: "The admin's full name" }) admin_full_name: string | null;
  @ApiProperty({ example: 'admin@acme.example' }) admin_email: string;
  @ApiProperty({ nullable: true, type: String, example: null }) admin_phone: string | null;
}

/** The organization's first ADMIN, as signup created it. */
@ApiSchema({ name: 'SignupAdmin' })
export class SignupAdminView {
  @ApiProperty({ type: 'integer', example: 1 }) id: number;
  @ApiProperty({ format: 'email', example: 'admin@acme.example' }) email: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' }) full_name: string | null;
  @ApiProperty({ enum: ['ADMIN'], example: 'ADMIN' }) role: Role;
}

/** The signup's answer: the new tenant, its default API key (shown here only) and its ADMIN. */
@ApiSchema({ name: 'SignupResult' })
export class SignupView extends TenantView {
  @ApiProperty({ example: 'fgk_live_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg', description: 'The default API key: shown in this answer only' }) api_key: string;
  @ApiProperty({ type: 'integer', example: 1 }) api_key_id: number;
  @ApiProperty({ type: SignupAdminView }) admin_user: SignupAdminView;
}

/** GET /tenants/usage. */
@ApiSchema({ name: 'Usage' })
export class UsageView {
  @ApiProperty({ example: 1234 }) transactions_this_month: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 50000 }) transactions_limit: number | null;
  @ApiProperty({ example: 2.47, description: 'Percent of the monthly limit used (0 without a limit)' }) transactions_percentage: number;
  @ApiProperty({ type: 'integer', example: 3 }) active_users: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 5 }) users_limit: number | null;
  @ApiProperty({ example: 1048576 }) storage_used_bytes: number;
  @ApiProperty({ example: 0.000976563 }) storage_used_gb: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 10 }) storage_limit_gb: number | null;
}

export function tenantView(tenant: Tenant): TenantView {
  return {
    tenant_id: tenant.tenantId,
    organization_name: tenant.organizationName,
    subdomain: tenant.subdomain,
    plan: tenant.plan,
    status: tenant.status,
    settings: tenant.settings,
    ml_config: tenant.mlConfig,
    max_users: tenant.maxUsers,
    max_transactions_per_month: tenant.maxTransactionsPerMonth,
    max_storage_gb: tenant.maxStorageGb,
    stripe_customer_id: tenant.stripeCustomerId,
    billing_email: tenant.billingEmail,
    created_at: tenant.createdAt,
    updated_at: tenant.updatedAt,
    trial_ends_at: tenant.trialEndsAt,
    admin_full_name: tenant.adminName,
    admin_email: tenant.adminEmail,
    admin_phone: tenant.adminPhone,
  };
}

