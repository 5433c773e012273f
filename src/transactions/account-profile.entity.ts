import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Account } from './account.entity.js';

/**
 * What scoring knows of an account's past (usual amounts, recent times, countries, merchants,
 * devices), one row per account, rewritten by every ingest. The table's fillfactor (50, for HOT
 * updates) is a storage parameter TypeORM does not model; the migration sets it.
 */
@Entity('account_profiles')
export class AccountProfile {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'account_profiles_pkey' })
  tenantId: string;

  @PrimaryColumn({ name: 'account_id', type: 'uuid', primaryKeyConstraintName: 'account_profiles_pkey' })
  accountId: string;

  @Column({ name: 'profile', type: 'jsonb', default: {} })
  profile: Record<string, unknown>;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @OneToOne(() => Account, (account) => account.profile, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId', foreignKeyConstraintName: 'fk_account_profiles_account' },
    { name: 'account_id', referencedColumnName: 'id' },
  ])
  account: Relation<Account>;
}
