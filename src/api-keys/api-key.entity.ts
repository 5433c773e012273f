import { Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity.js';
import { User } from '../users/user.entity.js';

/** An API key of a tenant (tenant_api_keys): its SHA-256 hash, display prefix, scopes and rate limit. */
@Entity('tenant_api_keys')
@Unique('tenant_api_keys_key_hash_key', ['keyHash'])
@Index('idx_api_keys_tenant', ['tenantId'])
@Index('idx_api_keys_hash', ['keyHash'])
@ForeignKey(() => User, ['tenantId', 'createdBy'], ['tenantId', 'id'], { name: 'tenant_api_keys_tenant_id_created_by_fkey' })
export class ApiKey {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'tenant_api_keys_pkey' })
  @ForeignKey(() => Tenant, { name: 'tenant_api_keys_tenant_id_fkey', onDelete: 'CASCADE' })
  tenantId: string;

  /** serial: unique only together with tenant_id. */
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'integer', primaryKeyConstraintName: 'tenant_api_keys_pkey' })
  id: number;

  @Column({ name: 'key_name', type: 'varchar', length: 128 })
  keyName: string;

  @Column({ name: 'key_hash', type: 'varchar', length: 128 })
  keyHash: string;

  @Column({ name: 'key_prefix', type: 'varchar', length: 16 })
  keyPrefix: string;

  @Column({ name: 'scopes', type: 'text', array: true, nullable: true, default: ['read:transactions', 'write:transactions', 'read:alerts'] })
  scopes: string[] | null;

  @Column({ name: 'rate_limit_per_minute', type: 'integer', nullable: true, default: 100 })
  rateLimitPerMinute: number | null;

  @Column({ name: 'is_active', type: 'boolean', nullable: true, default: true })
  isActive: boolean | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', nullable: true, default: () => 'now()' })
  createdAt: Date | null;

  /** The user who created the key; null when another API key created it. */
  @Column({ name: 'created_by', type: 'integer', nullable: true })
  createdBy: number | null;
}
