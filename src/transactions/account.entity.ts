import { Check, Column, Entity, ForeignKey, Index, OneToMany, OneToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique, type Relation } from 'typeorm';
import { Tenant } from '../tenants/tenant.entity.js';
import { AccountProfile } from './account-profile.entity.js';
import { Transaction } from './transaction.entity.js';

/** A payment account of the tenant's customer; transactions belong to one. */
@Entity('accounts')
@Unique('accounts_tenant_external_ref_key', ['tenantId', 'externalRef'])
@Index('idx_accounts_tenant_id', ['tenantId', 'id'])
// TypeORM cannot declare a DESC index column: (tenant_id, created_at DESC, id DESC), the list's keyset order.
@Index('idx_accounts_tenant_created', { synchronize: false })
@Check('accounts_status_check', `status IN ('ACTIVE', 'FROZEN', 'CLOSED')`)
@Check('accounts_country_check', `country ~ '^[A-Z]{2}$'`)
export class Account {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'accounts_pkey' })
  @ForeignKey(() => Tenant, { name: 'fk_accounts_tenant', onDelete: 'CASCADE' })
  tenantId: string;

  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'accounts_pkey' })
  id: string;

  @Column({ name: 'external_ref', type: 'varchar', length: 128 })
  externalRef: string;

  @Column({ name: 'holder_name', type: 'varchar', length: 255, nullable: true })
  holderName: string | null;

  @Column({ name: 'country', type: 'char', length: 2, nullable: true })
  country: string | null;

  @Column({ name: 'status', type: 'varchar', length: 16, default: 'ACTIVE' })
  status: 'ACTIVE' | 'FROZEN' | 'CLOSED';

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @OneToMany(() => Transaction, (transaction) => transaction.account)
  transactions: Relation<Transaction>[];

  /** Created with the account by the accounts_profile trigger. */
  @OneToOne(() => AccountProfile, (profile) => profile.account)
  profile: Relation<AccountProfile>;
}
