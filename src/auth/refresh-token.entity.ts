import { Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity.js';
import { User } from '../users/user.entity.js';

/** A refresh token, stored only as its SHA-256 hash; tokens rotated from one login share a family. */
@Entity('tenant_refresh_tokens')
@Unique('tenant_refresh_tokens_hash_key', ['tenantId', 'tokenHash'])
@Index('idx_refresh_tokens_family', ['tenantId', 'familyId'])
@Index('idx_refresh_tokens_user', ['tenantId', 'userId'])
@ForeignKey(() => User, ['tenantId', 'userId'], ['tenantId', 'id'], {
  name: 'tenant_refresh_tokens_tenant_id_user_id_fkey',
  onDelete: 'CASCADE',
})
export class RefreshToken {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'tenant_refresh_tokens_pkey' })
  @ForeignKey(() => Tenant, { name: 'tenant_refresh_tokens_tenant_id_fkey', onDelete: 'CASCADE' })
  tenantId: string;

  /** bigserial: pg returns int8 as a decimal string (no transformer). */
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'bigint', primaryKeyConstraintName: 'tenant_refresh_tokens_pkey' })
  id: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ name: 'family_id', type: 'uuid' })
  familyId: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
