import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity.js';

/** A person who signs in to a tenant (tenant_users), with a role; the e-mail is unique per tenant. */
@Entity('tenant_users')
@Unique('tenant_users_tenant_id_email_key', ['tenantId', 'email'])
@Index('idx_tenant_users_tenant', ['tenantId'])
@Index('idx_tenant_users_email', ['email'])
@Index('idx_tenant_users_active', ['tenantId', 'isActive'])
@Check('role_check', `role IN ('ADMIN', 'MANAGER', 'ANALYST', 'VIEWER')`)
export class User {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'tenant_users_pkey' })
  tenantId: string;

  /** serial: unique only together with tenant_id. */
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'integer', primaryKeyConstraintName: 'tenant_users_pkey' })
  id: number;

  @Column({ name: 'email', type: 'varchar', length: 255 })
  email: string;

  /** argon2id, PHC string. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ name: 'full_name', type: 'varchar', length: 255, nullable: true })
  fullName: string | null;

  @Column({ name: 'role', type: 'varchar', length: 32, default: 'ANALYST' })
  role: 'ADMIN' | 'MANAGER' | 'ANALYST' | 'VIEWER';

  @Column({ name: 'sso_provider', type: 'varchar', length: 32, nullable: true })
  ssoProvider: string | null;

  @Column({ name: 'sso_id', type: 'varchar', length: 255, nullable: true })
  ssoId: string | null;

  @Column({ name: 'mfa_enabled', type: 'boolean', nullable: true, default: false })
  mfaEnabled: boolean | null;

  @Column({ name: 'mfa_secret', type: 'varchar', length: 128, nullable: true })
  mfaSecret: string | null;

  @Column({ name: 'is_active', type: 'boolean', nullable: true, default: true })
  isActive: boolean | null;

  @Column({ name: 'email_verified', type: 'boolean', nullable: true, default: false })
  emailVerified: boolean | null;

  @Column({ name: 'last_login', type: 'timestamptz', nullable: true })
  lastLogin: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', nullable: true, default: () => 'now()' })
  createdAt: Date | null;

  /** Kept current by the update_tenant_users_updated_at trigger. */
  @Column({ name: 'updated_at', type: 'timestamptz', nullable: true, default: () => 'now()' })
  updatedAt: Date | null;

  @Column({ name: 'failed_login_count', type: 'integer', default: 0 })
  failedLoginCount: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @ManyToOne(() => Tenant, (tenant) => tenant.users, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'tenant_users_tenant_id_fkey' })
  tenant: Relation<Tenant>;
}
