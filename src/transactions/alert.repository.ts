import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity, Repository, SelectQueryBuilder } from 'typeorm';
import { cursorTime } from '../common/sql-time.js';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { User } from '../users/user.entity.js';
import type { Resolution } from './alert.dto.js';
import { FraudAlert } from './fraud-alert.entity.js';

export interface AlertListFilter {
  handled?: boolean;
  severity?: string;
  from?: string;
  to?: string;
  after?: [string, string];
  limit: number;
}

/** The worked fields of an alert after a change, as AlertService decided them. */
export interface AlertChange {
  handled: boolean;
  resolution: Resolution | null;
  note: string | null;
  assigneeId: number | null;
  handledBy: number | null;
  /** true: handled_at = now(); false: cleared; undefined: unchanged. */
  stampHandledAt?: boolean;
}

/** fraud_alerts of one tenant, in the current transaction; the tenant is in every WHERE. */
@Injectable()
export class AlertRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  private get alerts(): Repository<FraudAlert> {
    return this.txHost.tx.getRepository(FraudAlert);
  }

  /**
   * Alerts with their transaction's account (alert.transaction.account holds only its keys and
   * external_ref): primary-key look-ups, on lists that are not the hot path.
   */
  private withAccount(): SelectQueryBuilder<FraudAlert> {
    return this.alerts
      .createQueryBuilder('a')
      .innerJoin('a.transaction', 't')
      .innerJoin('t.account', 'acct')
      .addSelect(['t.tenantId', 't.id', 't.accountId', 'acct.tenantId', 'acct.id', 'acct.externalRef']);
  }

  findById(tenantId: string, id: string): Promise<FraudAlert | null> {
    return this.withAccount().where('a.tenant_id = :tenantId AND a.id = :id', { tenantId, id }).getOne();
  }

  /** Locked (FOR UPDATE OF the alert) until the transaction ends, so two concurrent changes of one alert apply one after the other. */
  findByIdForUpdate(tenantId: string, id: string): Promise<FraudAlert | null> {
    return this.withAccount().where('a.tenant_id = :tenantId AND a.id = :id', { tenantId, id }).setLock('pessimistic_write', undefined, ['a']).getOne();
  }

  /** Newest first, keyset on (created_at DESC, id DESC) over idx_alerts_tenant_created; each row with its cursor's time. */
  async list(tenantId: string, filter: AlertListFilter): Promise<Array<{ alert: FraudAlert; cursorTime: string }>> {
    const query = this.withAccount()
      .addSelect(cursorTime('a.created_at'), 'cursor_time')
      .where('a.tenant_id = :tenantId', { tenantId })
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.handled !== undefined) query.andWhere('a.handled = :handled', { handled: filter.handled });
    if (filter.severity) query.andWhere('a.severity = :severity', { severity: filter.severity });
    if (filter.from) query.andWhere('a.created_at >= :from::timestamptz', { from: filter.from });
    if (filter.to) query.andWhere('a.created_at < :to::timestamptz', { to: filter.to });
    if (filter.after) query.andWhere('(a.created_at, a.id) < (:afterTime::timestamptz, :afterId::uuid)', { afterTime: filter.after[0], afterId: filter.after[1] });
    const { entities, raw } = await query.getRawAndEntities<{ cursor_time: string }>();
    return entities.map((alert, index) => ({ alert, cursorTime: raw[index].cursor_time }));
  }

  /**
   * Applies the change to `alert` (read with findByIdForUpdate) in one UPDATE … RETURNING: the alert
   * as it is now, with handled_at and updated_at as the database stamped them; undefined if it is gone.
   */
  async update(tenantId: string, alert: FraudAlert, change: AlertChange): Promise<FraudAlert | undefined> {
    const values: QueryDeepPartialEntity<FraudAlert> = {
      handled: change.handled,
      resolution: change.resolution,
      note: change.note,
      assigneeId: change.assigneeId,
      handledBy: change.handledBy,
      updatedAt: () => 'now()',
    };
    if (change.stampHandledAt !== undefined) values.handledAt = change.stampHandledAt ? () => 'now()' : null;
    const result = await this.alerts
      .createQueryBuilder()
      .update()
      .set(values)
      .where({ tenantId, id: alert.id })
      .returning(['handledAt', 'updatedAt'])
      .execute();
    const stamped = (result.raw as Array<{ handled_at: Date | null; updated_at: Date }>)[0];
    if (!stamped) return undefined;
    const { stampHandledAt: _, ...fields } = change;
    return this.alerts.create({ ...alert, ...fields, handledAt: stamped.handled_at, updatedAt: stamped.updated_at });
  }

  async userExists(tenantId: string, userId: number): Promise<boolean> {
    return this.txHost.tx.getRepository(User).existsBy({ tenantId, id: userId });
  }
}
