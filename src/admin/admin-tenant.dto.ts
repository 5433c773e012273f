import { ApiProperty, ApiPropertyOptional, ApiSchema, PickType } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { SignupDto, TenantView } from '../tenants/tenant.dto.js';
import { PageQuery } from '../common/pagination.js';
import { PLAN_NAMES } from '../tenants/plans.js';
import type { Plan } from '../tenants/plans.js';

import { OPERATOR_STATUSES, TENANT_STATUSES } from './admin-tenant.service.js';

export class AdminTenantListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: TENANT_STATUSES })
  @IsOptional()
  @IsIn(TENANT_STATUSES)
  status?: (typeof TENANT_STATUSES)[number];
}

export class TenantIdParam {
  @ApiProperty({ example: 'default-tenant-001' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'id must be a tenant id' })
  id: string;
}

/**
 * An operator's new tenant (the CLI's tenant:create): the signup's rules for the name, the
 * subdomain (reserved names included), the admin e-mail and the plan. No admin user or password
 * here: users come from user:create, through the users service.
 */
export class CreateTenantDto extends PickType(SignupDto, ['organization_name', 'subdomain', 'admin_email', 'plan'] as const) {
  /** A UUID when absent. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'tenant_id must match [A-Za-z0-9_-]{1,64}' })
  tenant_id?: string;

  /** A trial of this many days (status TRIAL); absent: ACTIVE, no trial. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  trial_days?: number;
}

/**
 * An operator's change to one tenant. `plan` alone also resets the limits to the plan's; limits
 * given explicitly win. `status`: SUSPENDED suspends, ACTIVE reactivates, CANCELLED cancels.
 */
export class AdminTenantPatchDto {
  @ApiPropertyOptional({ enum: PLAN_NAMES })
  @IsOptional()
  @IsIn(PLAN_NAMES)
  plan?: Plan;

  @ApiPropertyOptional({ enum: OPERATOR_STATUSES })
  @IsOptional()
  @IsIn(OPERATOR_STATUSES)
  status?: (typeof OPERATOR_STATUSES)[number];

  @ApiPropertyOptional({ minimum: 1, maximum: 100000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  max_users?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 2000000000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_000_000_000)
  max_transactions_per_month?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1000000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  max_storage_gb?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 365, description: 'Extends the trial by this many days from its end (or from now if it already ended); the tenant is put back in TRIAL unless ACTIVE' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  extend_trial_days?: number;

  @ApiPropertyOptional({ maxLength: 500, description: 'Why; kept in the tenant audit trail' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

@ApiSchema({ name: 'TenantUsage' })
export class TenantUsageDto {
  @ApiProperty() active_users: number;
  @ApiProperty() active_api_keys: number;
  @ApiProperty() accounts: number;
  @ApiProperty() transactions_this_month: number;
  @ApiProperty() open_alerts: number;
}

@ApiSchema({ name: 'AdminTenant' })
export class AdminTenantDto extends TenantView {
  @ApiProperty({ type: TenantUsageDto }) usage: TenantUsageDto;
}

@ApiSchema({ name: 'AdminTenantPage' })
export class AdminTenantPageDto {
  @ApiProperty({ type: [AdminTenantDto] }) data: AdminTenantDto[];
  @ApiProperty() has_more: boolean;
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
