import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity.js';

/**
 * Where a tenant's sealed audit chain ends: the last sealed row's position, id and hash. Only
 * fg_audit_seal moves it (the app role reads it); the verifier compares the chain's last row with it,
 * so deleting the newest sealed rows shows.
 */
@Entity('audit_chain_heads')
export class AuditChainHead {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'audit_chain_heads_pkey' })
  @ForeignKey(() => Tenant, { name: 'audit_chain_heads_tenant_id_fkey', onDelete: 'CASCADE' })
  tenantId: string;

  /** seq of the last sealed row; 0 while only legacy rows (or none) are in the chain. */
  @Column({ name: 'seq', type: 'bigint' })
  seq: string;

  /** id of the chain's last row (legacy or sealed); NULL for an empty chain. */
  @Column({ name: 'last_id', type: 'bigint', nullable: true })
  lastId: string | null;

  @Column({ name: 'hash', type: 'char', length: 64, nullable: true })
  hash: string | null;

  @Column({ name: 'sealed_at', type: 'timestamptz', nullable: true })
  sealedAt: Date | null;
}
