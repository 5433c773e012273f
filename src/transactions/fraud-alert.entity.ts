import { Check, Column, Entity, ForeignKey, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity.js';
import { User } from '../users/user.entity.js';
import { Transaction } from './transaction.entity.js';

/** An alert raised by a risky transaction, worked (assigned, resolved) by the tenant's staff. */
@Entity('fraud_alerts')
@Index('idx_alerts_tenant_handled', ['tenantId', 'handled'])
@Index('idx_alerts_tenant_transaction', ['tenantId', 'transactionId'])
// TypeORM cannot declare a DESC index column: these are (tenant_id, created_at DESC, id DESC) and
// (tenant_id, handled, created_at DESC, id DESC), the list's keyset orders.
@Index('idx_alerts_tenant_created', { synchronize: false })
@Index('idx_alerts_tenant_handled_created', { synchronize: false })
@Check('fraud_alerts_severity_check', `severity IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')`)
// NOT VALID in the database (rows older than the constraint keep their value), which TypeORM cannot say.
@Check('fraud_alerts_resolution_check', `resolution IN ('FRAUD', 'LEGITIMATE', 'DUPLICATE', 'FALSE_POSITIVE', 'INCONCLUSIVE')`)
@ForeignKey(() => User, ['tenantId', 'assigneeId'], ['tenantId', 'id'], { name: 'fk_alerts_assignee' })
@ForeignKey(() => User, ['tenantId', 'handledBy'], ['tenantId', 'id'], { name: 'fk_alerts_handled_by' })
export class FraudAlert {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'fraud_alerts_pkey' })
  @ForeignKey(() => Tenant, { name: 'fk_alerts_tenant', onDelete: 'CASCADE' })
  tenantId: string;

  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'fraud_alerts_pkey' })
  id: string;

  @Column({ name: 'transaction_id', type: 'uuid' })
  transactionId: string;

  @Column({ name: 'severity', type: 'varchar', length: 16 })
  severity: 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

  /** numeric(5,4): pg returns numeric as a decimal string (no transformer). */
  @Column({ name: 'risk_score', type: 'numeric', precision: 5, scale: 4 })
  riskScore: string;

  @Column({ name: 'reasons', type: 'jsonb', default: [] })
  reasons: unknown[];

  @Column({ name: 'handled', type: 'boolean', default: false })
  handled: boolean;

  @Column({ name: 'resolution', type: 'varchar', length: 32, nullable: true })
  resolution: 'FRAUD' | 'LEGITIMATE' | 'DUPLICATE' | 'FALSE_POSITIVE' | 'INCONCLUSIVE' | null;

  @Column({ name: 'note', type: 'text', nullable: true })
  note: string | null;

  @Column({ name: 'assignee_id', type: 'integer', nullable: true })
  assigneeId: number | null;

  @Column({ name: 'handled_by', type: 'integer', nullable: true })
  handledBy: number | null;

  /** A single-tenant installation's staff id the alert was assigned to (no tenant_users row; migration 2). */
  @Column({ name: 'legacy_assignee_id', type: 'integer', nullable: true })
  legacyAssigneeId: number | null;

  /** A single-tenant installation's staff id that handled the alert (no tenant_users row; migration 2). */
  @Column({ name: 'legacy_handled_by', type: 'integer', nullable: true })
  legacyHandledBy: number | null;

  @Column({ name: 'handled_at', type: 'timestamptz', nullable: true })
  handledAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @ManyToOne(() => Transaction, (transaction) => transaction.alerts)
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId', foreignKeyConstraintName: 'fk_alerts_transaction' },
    { name: 'transaction_id', referencedColumnName: 'id' },
  ])
  transaction: Relation<Transaction>;
}
