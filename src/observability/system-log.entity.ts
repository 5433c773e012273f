import { Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity.js';

/** Application log lines from the single-tenant schema, kept per tenant. */
@Entity('system_logs')
// TypeORM cannot declare a DESC index column: (tenant_id, created_at DESC).
@Index('idx_system_logs_tenant_time', { synchronize: false })
export class SystemLog {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'system_logs_pkey' })
  @ForeignKey(() => Tenant, { name: 'fk_system_logs_tenant', onDelete: 'CASCADE' })
  tenantId: string;

  /** bigserial: pg returns int8 as a decimal string (no transformer). */
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'bigint', primaryKeyConstraintName: 'system_logs_pkey' })
  id: string;

  @Column({ name: 'level', type: 'varchar', length: 16, default: 'INFO' })
  level: string;

  @Column({ name: 'source', type: 'varchar', length: 64, nullable: true })
  source: string | null;

  @Column({ name: 'message', type: 'text' })
  message: string;

  @Column({ name: 'context', type: 'jsonb', nullable: true })
  context: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
