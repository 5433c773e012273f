import { Check, Column, Entity, Index, OneToMany, PrimaryColumn, Unique, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';
import { PLANS } from './plans.js';

/** An organisation using FraudGuard: its plan, limits and settings. Under RLS a tenant sees only its own row. */
@Entity('tenants')
@Unique('tenants_subdomain_key', ['subdomain'])
@Index('idx_tenants_subdomain', ['subdomain'])
@Index('idx_tenants_status', ['status'])
@Check('plan_check', `plan IN ('STARTER', 'PROFESSIONAL', 'ENTERPRISE')`)
@Check('status_check', `status IN ('ACTIVE', 'SUSPENDED', 'TRIAL', 'CANCELLED')`)
export class Tenant {
  /**
   * The database default is `gen_random_uuid()::text`; TypeORM reads a default with its casts
   * stripped, so it is written here as TypeORM reads it (uuid converts to varchar on assignment).
   */
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, default: () => '(gen_random_uuid())', primaryKeyConstraintName: 'tenants_pkey' })
  tenantId: string;

  @Column({ name: 'organization_name', type: 'varchar', length: 255 })
  organizationName: string;

  @Column({ name: 'subdomain', type: 'varchar', length: 64 })
  subdomain: string;

  @Column({ name: 'plan', type: 'varchar', length: 32, default: 'STARTER' })
  plan: 'STARTER' | 'PROFESSIONAL' | 'ENTERPRISE';

  @Column({ name: 'status', type: 'varchar', length: 32, default: 'ACTIVE' })
  status: 'ACTIVE' | 'SUSPENDED' | 'TRIAL' | 'CANCELLED';

  @Column({ name: 'settings', type: 'jsonb', nullable: true, default: {} })
  settings: Record<string, unknown> | null;

  @Column({
    name: 'ml_config',
    type: 'jsonb',
    nullable: true,
    default: { risk_threshold: 0.7, auto_block: false, notification_email: null },
  })
  mlConfig: Record<string, unknown> | null;

  // The column defaults are the STARTER plan's (plans.ts), the plan a tenant row defaults to.
  @Column({ name: 'max_users', type: 'integer', nullable: true, default: PLANS.STARTER.max_users })
  maxUsers: number | null;

  @Column({ name: 'max_transactions_per_month', type: 'integer', nullable: true, default: PLANS.STARTER.max_transactions_per_month })
  maxTransactionsPerMonth: number | null;

  @Column({ name: 'max_storage_gb', type: 'integer', nullable: true, default: PLANS.STARTER.max_storage_gb })
  maxStorageGb: number | null;

  @Column({ name: 'stripe_customer_id', type: 'varchar', length: 128, nullable: true })
  stripeCustomerId: string | null;

  @Column({ name: 'billing_email', type: 'varchar', length: 255, nullable: true })
  billingEmail: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', nullable: true, default: () => 'now()' })
  createdAt: Date | null;

  /** Kept current by the update_tenants_updated_at trigger. */
  @Column({ name: 'updated_at', type: 'timestamptz', nullable: true, default: () => 'now()' })
  updatedAt: Date | null;

  @Column({ name: 'trial_ends_at', type: 'timestamptz', nullable: true, default: () => `(now() + '14 days')` })
  trialEndsAt: Date | null;

  @Column({ name: 'admin_name', type: 'varchar', length: 255, nullable: true })
  adminName: string | null;

  @Column({ name: 'admin_email', type: 'varchar', length: 255 })
  adminEmail: string;

  @Column({ name: 'admin_phone', type: 'varchar', length: 32, nullable: true })
  adminPhone: string | null;

  @OneToMany(() => User, (user) => user.tenant)
  users: Relation<User>[];
}
