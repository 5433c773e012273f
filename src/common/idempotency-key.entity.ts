import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity.js';

/** The stored response of a create request, per tenant and Idempotency-Key, kept until it expires. */
@Entity('idempotency_keys')
@Index('idx_idempotency_keys_tenant_expires', ['tenantId', 'expiresAt'])
export class IdempotencyKey {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'idempotency_keys_pkey' })
  @ForeignKey(() => Tenant, { name: 'idempotency_keys_tenant_id_fkey', onDelete: 'CASCADE' })
  tenantId: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255, primaryKeyConstraintName: 'idempotency_keys_pkey' })
  idempotencyKey: string;

  /** SHA-256 of the request, hex: the same key with another body is refused. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash: string;

  @Column({ name: 'status_code', type: 'smallint' })
  statusCode: number;

  @Column({ name: 'response', type: 'jsonb' })
  response: unknown;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
