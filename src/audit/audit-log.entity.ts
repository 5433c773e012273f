import { Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity.js';
import { User } from '../users/user.entity.js';

/**
 * One audited action. Append-only for the app role: the audit_logs_chain trigger stamps each new row
 * with its transaction (`txid`) and leaves it unsealed; the sealer (fg_audit_seal) later links it into
 * its tenant's hash chain (`seq`, `prev_hash`, `hash`). Rows from before sealing existed form each
 * chain's legacy prefix: `seq` NULL, `hash` set, chained in id order.
 */
@Entity('audit_logs')
@Index('idx_audit_resource', ['tenantId', 'resourceType', 'resourceId'])
// TypeORM cannot declare a DESC index column: these are the migrations' (tenant_id, "timestamp" DESC),
// (tenant_id, action, id DESC) and (tenant_id, user_id, id DESC), and TypeORM leaves them alone.
@Index('idx_audit_tenant_time', { synchronize: false })
@Index('idx_audit_tenant_action', { synchronize: false })
@Index('idx_audit_tenant_user', { synchronize: false })
// Nor NULLS FIRST, and the partial index is the migration's own text: (tenant_id, seq NULLS FIRST, id)
// for the verifier's walk, (tenant_id, txid, id) WHERE hash IS NULL for the sealer's work list.
@Index('idx_audit_chain', { synchronize: false })
@Index('idx_audit_unsealed', { synchronize: false })
@ForeignKey(() => User, ['tenantId', 'userId'], ['tenantId', 'id'], { name: 'audit_logs_tenant_id_user_id_fkey' })
export class AuditLog {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'audit_logs_pkey' })
  @ForeignKey(() => Tenant, { name: 'audit_logs_tenant_id_fkey', onDelete: 'CASCADE' })
  tenantId: string;

  /** bigserial; pg returns int8 as a decimal string (no transformer). */
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'bigint', primaryKeyConstraintName: 'audit_logs_pkey' })
  id: string;

  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  @Column({ name: 'action', type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'resource_type', type: 'varchar', length: 64, nullable: true })
  resourceType: string | null;

  @Column({ name: 'resource_id', type: 'varchar', length: 128, nullable: true })
  resourceId: string | null;

  @Column({ name: 'ip_address', type: 'inet', nullable: true })
  ipAddress: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  @Column({ name: 'old_value', type: 'jsonb', nullable: true })
  oldValue: Record<string, unknown> | null;

  @Column({ name: 'new_value', type: 'jsonb', nullable: true })
  newValue: Record<string, unknown> | null;

  @Column({ name: 'timestamp', type: 'timestamptz', default: () => 'now()' })
  timestamp: Date;

  @Column({ name: 'severity', type: 'varchar', length: 16, nullable: true, default: 'INFO' })
  severity: string | null;

  @Column({ name: 'prev_hash', type: 'char', length: 64, nullable: true })
  prevHash: string | null;

  /** NULL until sealed. */
  @Column({ name: 'hash', type: 'char', length: 64, nullable: true })
  hash: string | null;

  /**
   * The writing transaction's 64-bit id (xid8, as bigint: TypeORM has no xid8), set by the chain
   * trigger; orders the rows for sealing. NULL on legacy rows.
   */
  @Column({ name: 'txid', type: 'bigint', nullable: true })
  txid: string | null;

  /** Position in the tenant's chain (1, 2, …), assigned at sealing; NULL while unsealed and on legacy rows. */
  @Column({ name: 'seq', type: 'bigint', nullable: true })
  seq: string | null;
}
