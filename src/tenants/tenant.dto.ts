import { ApiProperty } from '@nestjs/swagger';
import { PLAN_NAMES } from './plans.js';

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
