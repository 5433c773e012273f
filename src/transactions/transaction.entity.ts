import { Check, Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryColumn, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Account } from './account.entity.js';
import { FraudAlert } from './fraud-alert.entity.js';

/**
 * A scored payment transaction of an account. Its tenant is held by the (tenant_id, account_id) key
 * to accounts, so tenant_id has no key of its own to tenants.
 */
@Entity('transactions')
// Unique only where external_id is set (a partial unique index, not a constraint); the name is the
// one a duplicate reports.
@Index('transactions_tenant_external_id_key', ['tenantId', 'externalId'], { unique: true, where: 'external_id IS NOT NULL' })
// TypeORM cannot declare a DESC index column: these are (tenant_id, txn_time DESC, id DESC), the
// list's keyset order, and (tenant_id, account_id, txn_time DESC).
@Index('idx_transactions_tenant_time', { synchronize: false })
@Index('idx_transactions_tenant_account_time', { synchronize: false })
@Check('transactions_amount_check', `amount > 0`)
@Check('transactions_currency_check', `currency ~ '^[A-Z]{3}$'`)
@Check('transactions_status_check', `status IN ('APPROVED', 'REVIEW', 'BLOCKED')`)
@Check('transactions_risk_score_check', `risk_score BETWEEN 0 AND 1`)
@Check('transactions_risk_level_check', `risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')`)
export class Transaction {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'transactions_pkey' })
  tenantId: string;

  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'transactions_pkey' })
  id: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  /**
   * The account's external_ref, written by the ingest (it never changes): lists show it without a
   * join. NULL on rows written before migration 0101 or behind the API's back; the view then reads
   * the account's.
   */
  @Column({ name: 'account_ref', type: 'varchar', length: 128, nullable: true })
  accountRef: string | null;

  @Column({ name: 'external_id', type: 'varchar', length: 128, nullable: true })
  externalId: string | null;

  /** numeric(18,4): pg returns numeric as a decimal string (no transformer), so no float rounding. */
  @Column({ name: 'amount', type: 'numeric', precision: 18, scale: 4 })
  amount: string;

  @Column({ name: 'currency', type: 'char', length: 3 })
  currency: string;

  @Column({ name: 'merchant', type: 'varchar', length: 255 })
  merchant: string;

  @Column({ name: 'merchant_category', type: 'char', length: 4, nullable: true })
  merchantCategory: string | null;

  @Column({ name: 'country', type: 'char', length: 2, nullable: true })
  country: string | null;

  @Column({ name: 'ip_address', type: 'inet', nullable: true })
  ipAddress: string | null;

  @Column({ name: 'device_id', type: 'varchar', length: 128, nullable: true })
  deviceId: string | null;

  @Column({ name: 'txn_time', type: 'timestamptz', default: () => 'now()' })
  txnTime: Date;

  @Column({ name: 'status', type: 'varchar', length: 16, default: 'APPROVED' })
  status: 'APPROVED' | 'REVIEW' | 'BLOCKED';

  /** numeric(5,4) in [0, 1]: pg returns numeric as a decimal string (no transformer). */
  @Column({ name: 'risk_score', type: 'numeric', precision: 5, scale: 4, nullable: true })
  riskScore: string | null;

  @Column({ name: 'risk_level', type: 'varchar', length: 16, nullable: true })
  riskLevel: 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' | null;

  /** The scoring rules that fired, each with its contribution. */
  @Column({ name: 'reasons', type: 'jsonb', default: [] })
  reasons: unknown[];

  @Column({ name: 'scoring_config', type: 'jsonb', nullable: true })
  scoringConfig: Record<string, unknown> | null;

  @Column({ name: 'metadata', type: 'jsonb', nullable: true })
  metadata: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @ManyToOne(() => Account, (account) => account.transactions, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId', foreignKeyConstraintName: 'fk_transactions_account' },
    { name: 'account_id', referencedColumnName: 'id' },
  ])
  account: Relation<Account>;

  @OneToMany(() => FraudAlert, (alert) => alert.transaction)
  alerts: Relation<FraudAlert>[];
}
