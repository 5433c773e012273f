import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { Tenant } from './tenant.entity.js';

/**
 * The monthly quota's counters: per tenant and UTC month, up to 16 slot rows (migration 0060,
 * QUOTA_SLOTS) whose sum is the transactions ingested that month. Concurrent ingests add to
 * different slots; fg_quota_reserve keeps the sum within the plan's quota.
 */
@Entity('tenant_monthly_usage')
@Check('tenant_monthly_usage_month_check', `month = date_trunc('month', month)::date`)
@Check('tenant_monthly_usage_transactions_check', `transactions >= 0`)
@Check('tenant_monthly_usage_slot_check', `slot >= 0 AND slot < 16`)
export class TenantMonthlyUsage {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'tenant_monthly_usage_pkey' })
  @ForeignKey(() => Tenant, { name: 'tenant_monthly_usage_tenant_id_fkey', onDelete: 'CASCADE' })
  tenantId: string;

  /** The month's first day; TypeORM hydrates a `date` as 'YYYY-MM-DD'. */
  @PrimaryColumn({ name: 'month', type: 'date', primaryKeyConstraintName: 'tenant_monthly_usage_pkey' })
  month: string;

  /** Which of the month's counters (0–15). */
  @PrimaryColumn({ name: 'slot', type: 'smallint', default: 0, primaryKeyConstraintName: 'tenant_monthly_usage_pkey' })
  slot: number;

  /** bigint: pg returns int8 as a decimal string (no transformer), exact beyond 2^53. */
  @Column({ name: 'transactions', type: 'bigint', default: 0 })
  transactions: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
