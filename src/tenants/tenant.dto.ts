import { Transform, Type } from 'class-transformer';
import {
  IsBoolean, IsEmail, IsIn, IsNotIn, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf, ValidateNested,
} from 'class-validator';
import { NormalizeEmail } from '../auth/auth.dto.js';
import { IsAcceptablePassword } from '../auth/password.policy.js';
import { RESERVED_SUBDOMAINS } from '../auth/subdomain.resolver.js';
import { ApiProperty } from '@nestjs/swagger';
import type { Role } from '../common/auth-context.js';
import { PLAN_NAMES, type Plan } from './plans.js';
import type { Tenant } from './tenant.entity.js';

const Trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

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

  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  admin_name: string;

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

  @ValidateIf((o) => o.admin_name !== undefined)
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
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

/** The tenant as its own members see it (GET /tenants/me). */
export class TenantDto {
  @ApiProperty({ example: 'default-tenant-001' }) tenant_id: string;
  @ApiProperty({ example: 'Acme Payments' }) organization_name: string;
  @ApiProperty({ example: 'acme' }) subdomain: string;
  @ApiProperty({ enum: PLAN_NAMES }) plan: string;
  @ApiProperty({ enum: ['ACTIVE', 'SUSPENDED', 'TRIAL', 'CANCELLED'] }) status: string;
  @ApiProperty({ type: Object, example: {} }) settings: Record<string, unknown>;
  @ApiProperty({ type: Object, example: { risk_threshold: 0.7, auto_block: false, notification_email: null } }) ml_config: Record<string, unknown>;
  @ApiProperty({ example: 5 }) max_users: number;
  @ApiProperty({ example: 50000 }) max_transactions_per_month: number;
  @ApiProperty({ example: 10 }) max_storage_gb: number;
  @ApiProperty({ nullable: true, type: String }) stripe_customer_id: string | null;
  @ApiProperty({ nullable: true, type: String }) billing_email: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) trial_ends_at: Date | null;
  @ApiProperty({ nullable: true, type: String }) admin_name: string | null;
  @ApiProperty({ example: 'admin@acme.example' }) admin_email: string;
  @ApiProperty({ nullable: true, type: String }) admin_phone: string | null;
}

/** The tenant as the API shows it (GET /tenants/me; TenantDto documents it). */
export interface TenantView {
  tenant_id: string;
  organization_name: string;
  subdomain: string;
  plan: Plan;
  status: Tenant['status'];
  settings: Record<string, unknown> | null;
  ml_config: Record<string, unknown> | null;
  max_users: number | null;
  max_transactions_per_month: number | null;
  max_storage_gb: number | null;
  stripe_customer_id: string | null;
  billing_email: string | null;
  created_at: Date | null;
  updated_at: Date | null;
  trial_ends_at: Date | null;
  admin_name: string | null;
  admin_email: string;
  admin_phone: string | null;
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
    admin_name: tenant.adminName,
    admin_email: tenant.adminEmail,
    admin_phone: tenant.adminPhone,
  };
}

/**
 * The signup's answer: the new tenant, its default API key (shown here only) and its ADMIN.
 * Its service returns it with `satisfies`, not as a declared return type: the Swagger plugin
 * documents a named non-class return type as a bare `object`, and openapi.json pins what this
 * route documents.
 */
export type SignupView = TenantView & {
  api_key: string;
  api_key_id: number;
  admin_user: { id: number; email: string; full_name: string | null; role: Role };
};

/** GET /tenants/usage; returned with `satisfies`, as SignupView is. */
export interface UsageView {
  transactions_this_month: number;
  transactions_limit: number;
  transactions_percentage: number;
  active_users: number;
  users_limit: number;
  storage_used_bytes: number;
  storage_used_gb: number;
  storage_limit_gb: number;
}
