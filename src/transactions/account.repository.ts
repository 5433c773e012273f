import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import type { Repository } from 'typeorm';
import { cursorTime } from '../common/sql-time.js';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import type { AccountStatus } from './account.dto.js';
import { Account } from './account.entity.js';

export interface AccountListFilter {
  status?: AccountStatus;
  externalRef?: string;
  after?: [string, string];
  limit: number;
}

export type NewAccount = Pick<Account, 'externalRef' | 'holderName' | 'country'> & Partial<Pick<Account, 'status'>>;

/** accounts of one tenant, in the current transaction; the tenant is in every WHERE. */
@Injectable()
export class AccountRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  private get accounts(): Repository<Account> {
    return this.txHost.tx.getRepository(Account);
  }

  /** The new account, or undefined when the tenant already has one with this external_ref. */
  async create(tenantId: string, account: NewAccount): Promise<Account | undefined> {
    const values = { tenantId, ...account };
    const result = await this.accounts.createQueryBuilder().insert().values(values).orIgnore().execute();
    if (result.raw.length === 0) return undefined;
    return this.accounts.create({ ...values, ...result.generatedMaps[0] });
  }

  findById(tenantId: string, id: string): Promise<Account | null> {
    return this.accounts.findOneBy({ tenantId, id });
  }

  /** Newest first, keyset on (created_at DESC, id DESC) over idx_accounts_tenant_created; each row with its cursor's time. */
  async list(tenantId: string, filter: AccountListFilter): Promise<Array<{ account: Account; cursorTime: string }>> {
    const query = this.accounts
      .createQueryBuilder('a')
      .addSelect(cursorTime('a.created_at'), 'cursor_time')
      .where('a.tenant_id = :tenantId', { tenantId })
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.status) query.andWhere('a.status = :status', { status: filter.status });
    if (filter.externalRef) query.andWhere('a.external_ref = :externalRef', { externalRef: filter.externalRef });
    if (filter.after) query.andWhere('(a.created_at, a.id) < (:afterTime::timestamptz, :afterId::uuid)', { afterTime: filter.after[0], afterId: filter.after[1] });
    const { entities, raw } = await query.getRawAndEntities<{ cursor_time: string }>();
    return entities.map((account, index) => ({ account, cursorTime: raw[index].cursor_time }));
  }
}
