import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { MoreThan, type Repository } from 'typeorm';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { User } from './user.entity.js';

export type NewUser = Pick<User, 'email' | 'passwordHash' | 'fullName' | 'role'>;
export type UserChanges = Pick<User, 'fullName' | 'role' | 'isActive'>;

/** tenant_users of one tenant, in the current transaction; the tenant is in every WHERE. */
@Injectable()
export class UserRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  private get users(): Repository<User> {
    return this.txHost.tx.getRepository(User);
  }

  /** The new user (active, e-mail unverified), or undefined when the tenant already has one with this e-mail. */
  async create(tenantId: string, user: NewUser): Promise<User | undefined> {
    const values = { tenantId, ...user, isActive: true, emailVerified: false };
    const result = await this.users.createQueryBuilder().insert().values(values).orIgnore().execute();
    if (result.raw.length === 0) return undefined;
    return this.users.create({ ...values, lastLogin: null, ...result.generatedMaps[0] });
  }

  /** Ordered by id, after `afterId` (keyset). */
  list(tenantId: string, afterId: number | undefined, limit: number): Promise<User[]> {
    return this.users.find({
      where: { tenantId, ...(afterId !== undefined && { id: MoreThan(afterId) }) },
      order: { id: 'ASC' },
      take: limit,
    });
  }

  findById(tenantId: string, id: number): Promise<User | null> {
    return this.users.findOneBy({ tenantId, id });
  }

  /** The user, locked until the transaction ends (role and activation changes). */
  findByIdForUpdate(tenantId: string, id: number): Promise<User | null> {
    return this.users.findOne({ where: { tenantId, id }, lock: { mode: 'pessimistic_write' } });
  }

  async passwordHash(tenantId: string, id: number): Promise<string | undefined> {
    const user = await this.users.findOne({ select: { tenantId: true, id: true, passwordHash: true }, where: { tenantId, id } });
    return user?.passwordHash;
  }

  async setPassword(tenantId: string, id: number, passwordHash: string): Promise<void> {
    await this.users.update({ tenantId, id }, { passwordHash });
  }

  /** Writes the changes and answers the row as stored (updated_at comes from its trigger). */
  async update(tenantId: string, id: number, changes: UserChanges): Promise<User | null> {
    await this.users.update({ tenantId, id }, changes);
    return this.findById(tenantId, id);
  }

  /**
   * Serialises user-count and last-admin decisions of one tenant: every such check first locks the
   * tenant's row, so two concurrent requests cannot both pass. Answers the plan's user limit, or
   * undefined when the tenant row is not visible.
   */
  async lockTenantForUserChanges(tenantId: string): Promise<number | undefined> {
    const tenant = await this.txHost.tx
      .getRepository(Tenant)
      .findOne({ select: { tenantId: true, maxUsers: true }, where: { tenantId }, lock: { mode: 'pessimistic_write' } });
    return tenant ? (tenant.maxUsers ?? 0) : undefined;
  }

  countActive(tenantId: string): Promise<number> {
    return this.users.countBy({ tenantId, isActive: true });
  }

  countActiveAdmins(tenantId: string): Promise<number> {
    return this.users.countBy({ tenantId, isActive: true, role: 'ADMIN' });
  }
}
