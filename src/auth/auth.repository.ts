import { TransactionHost } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { IsNull, type Repository } from 'typeorm';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { User } from '../users/user.entity.js';
import { PasswordReset } from './password-reset.entity.js';
import { RefreshToken } from './refresh-token.entity.js';

/** An active account with an e-mail and its tenant's state, without its password (fg_account_lookup). */
export interface AccountOfEmail {
  user_id: number;
  tenant_id: string;
  subdomain: string;
  tenant_status: string;
  trial_ends_at: Date | null;
}

/**
 * The row of fg_login_lookup: the one active account a login checks the password of (the hinted
 * organization's, else the first made with the e-mail), with its lockout counters, and how many
 * active accounts share the e-mail under the same hint.
 */
export interface LoginCandidate extends AccountOfEmail {
  password_hash: string;
  role: User['role'];
  failed_login_count: number;
  locked_until: Date | null;
  accounts: number;
}

export interface FailureState {
  failed_login_count: number;
  locked_until: Date | null;
  /** This failure reached the limit and locked the account. */
  locked_now: boolean;
}

export type LoggedInUser = Pick<User, 'id' | 'tenantId' | 'email' | 'fullName' | 'role' | 'lastLogin'>;

/** A refresh token with what deciding on it needs: its user's role and state, its tenant's status. */
export interface RefreshTokenWithOwner {
  token: RefreshToken;
  user: Pick<User, 'role' | 'isActive'>;
  tenant: Pick<Tenant, 'status' | 'trialEndsAt'>;
}

/**
 * Login, refresh-token and password-reset rows, in the current transaction. The login look-up
 * runs before any tenant is set (definer functions fg_login_lookup and fg_account_lookup, on the transaction's own
 * connection); everything else after CurrentTransaction.setTenant, under RLS, with the tenant in
 * every WHERE.
 */
@Injectable()
export class AuthRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  private get users(): Repository<User> {
    return this.txHost.tx.getRepository(User);
  }

  private get refreshTokens(): Repository<RefreshToken> {
    return this.txHost.tx.getRepository(RefreshToken);
  }

  private get passwordResets(): Repository<PasswordReset> {
    return this.txHost.tx.getRepository(PasswordReset);
  }

  /** The account a login with this e-mail (and hint) checks, if any. */
  async loginCandidate(email: string, subdomain: string | undefined): Promise<LoginCandidate | undefined> {
    // SQL: a SECURITY DEFINER function, the one way to find users before a tenant is set.
    const rows: LoginCandidate[] = await this.txHost.tx.query('SELECT * FROM fg_login_lookup($1, $2)', [email, subdomain ?? null]);
    return rows[0];
  }

  /** Active accounts with this e-mail (in the hinted organization only, when there is a hint), at most ten. */
  accountsOfEmail(email: string, subdomain: string | undefined): Promise<AccountOfEmail[]> {
    // SQL: a SECURITY DEFINER function, the one way to find users before a tenant is set.
    return this.txHost.tx.query('SELECT * FROM fg_account_lookup($1, $2)', [email, subdomain ?? null]);
  }

  /**
   * One more consecutive failure; the one that reaches `maxFailures` locks the account for
   * `lockSeconds` and starts the count again, so the account gets a fresh budget after the lock.
   */
  async recordLoginFailure(tenantId: string, userId: number, maxFailures: number, lockSeconds: number): Promise<FailureState> {
    // SQL: the new count and lock are computed from the row's own values inside one UPDATE, so
    // concurrent failures never lose a count; a query builder would carry the same CASE text as
    // strings, and RETURNING also answers whether this failure locked.
    const [rows] = (await this.txHost.tx.query(
      `UPDATE tenant_users
          SET failed_login_count = CASE WHEN failed_login_count + 1 >= $3 THEN 0 ELSE failed_login_count + 1 END,
              locked_until = CASE WHEN failed_login_count + 1 >= $3 THEN now() + make_interval(secs => $4) ELSE locked_until END
        WHERE tenant_id = $1 AND id = $2
    RETURNING failed_login_count, locked_until, (failed_login_count = 0) AS locked_now`,
      [tenantId, userId, maxFailures, lockSeconds],
    )) as [FailureState[], number]; // TypeORM answers an UPDATE as [rows, affected count]
    return rows[0] ?? { failed_login_count: 0, locked_until: null, locked_now: false };
  }

  /** A successful login of an active user: counters reset, last_login set, the hash replaced when it was rehashed. */
  async recordLogin(tenantId: string, userId: number, newHash: string | null): Promise<LoggedInUser | undefined> {
    const result = await this.users
      .createQueryBuilder()
      .update()
      .set({ lastLogin: () => 'now()', failedLoginCount: 0, lockedUntil: null, ...(newHash !== null && { passwordHash: newHash }) })
      .where({ tenantId, id: userId, isActive: true })
      .returning(['id', 'tenantId', 'email', 'fullName', 'role', 'lastLogin'])
      .execute();
    const row = (result.raw as Array<Record<string, unknown>>)[0];
    if (!row) return undefined;
    return {
      id: row.id as number,
      tenantId: row.tenant_id as string,
      email: row.email as string,
      fullName: row.full_name as string | null,
      role: row.role as User['role'],
      lastLogin: row.last_login as Date | null,
    };
  }

  async insertRefreshToken(tenantId: string, userId: number, familyId: string, tokenHash: string, ttlSeconds: number): Promise<void> {
    await this.refreshTokens
      .createQueryBuilder()
      .insert()
      .values({ tenantId, userId, familyId, tokenHash, expiresAt: () => 'now() + make_interval(secs => :ttlSeconds)' })
      .setParameter('ttlSeconds', ttlSeconds)
      .execute();
  }

  /** The token with its user and tenant, locked so two concurrent refreshes cannot both rotate it. */
  async findRefreshTokenForUpdate(tenantId: string, tokenHash: string): Promise<RefreshTokenWithOwner | undefined> {
    const { entities, raw } = await this.refreshTokens
      .createQueryBuilder('r')
      .innerJoin(User, 'u', 'u.tenant_id = r.tenant_id AND u.id = r.user_id')
      .innerJoin(Tenant, 't', 't.tenant_id = r.tenant_id')
      .addSelect('u.role', 'user_role')
      .addSelect('u.is_active', 'user_is_active')
      .addSelect('t.status', 'tenant_status')
      .addSelect('t.trial_ends_at', 'tenant_trial_ends_at')
      .where('r.tenant_id = :tenantId AND r.token_hash = :tokenHash', { tenantId, tokenHash })
      .setLock('pessimistic_write', undefined, ['r'])
      .getRawAndEntities<{ user_role: User['role']; user_is_active: boolean; tenant_status: Tenant['status']; tenant_trial_ends_at: Date | null }>();
    if (entities.length === 0) return undefined;
    const owner = raw[0];
    return {
      token: entities[0],
      user: { role: owner.user_role, isActive: owner.user_is_active },
      tenant: { status: owner.tenant_status, trialEndsAt: owner.tenant_trial_ends_at },
    };
  }

  async markRefreshTokenUsed(tenantId: string, id: string): Promise<void> {
    await this.refreshTokens.update({ tenantId, id }, { usedAt: () => 'now()' });
  }

  async revokeRefreshFamily(tenantId: string, familyId: string): Promise<void> {
    await this.refreshTokens.update({ tenantId, familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  /**
   * Everything that would let the user's old credentials back in: refresh tokens revoked, unused
   * reset tokens spent. After a password change or reset, a deactivation, a demotion.
   */
  async revokeCredentialsOfUser(tenantId: string, userId: number): Promise<void> {
    await this.refreshTokens.update({ tenantId, userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    await this.passwordResets.update({ tenantId, userId, usedAt: IsNull() }, { usedAt: () => 'now()' });
  }

  /** A new reset token replaces any earlier unused one of the same user. */
  async insertPasswordReset(tenantId: string, userId: number, tokenHash: string, ttlSeconds: number): Promise<void> {
    await this.passwordResets.update({ tenantId, userId, usedAt: IsNull() }, { usedAt: () => 'now()' });
    await this.passwordResets
      .createQueryBuilder()
      .insert()
      .values({ tenantId, userId, tokenHash, expiresAt: () => 'now() + make_interval(secs => :ttlSeconds)' })
      .setParameter('ttlSeconds', ttlSeconds)
      .execute();
  }

  /** Spends a valid reset token (unused, unexpired, active user) and answers its user, or nothing. */
  async consumePasswordReset(tenantId: string, tokenHash: string): Promise<number | undefined> {
    // SQL: UPDATE … FROM, which the query builder's update cannot write: the token is spent only
    // when its user is active, in one statement.
    const [rows] = (await this.txHost.tx.query(
      `UPDATE tenant_password_resets r SET used_at = now()
         FROM tenant_users u
        WHERE r.tenant_id = $1 AND r.token_hash = $2 AND r.used_at IS NULL AND r.expires_at > now()
          AND u.tenant_id = r.tenant_id AND u.id = r.user_id AND u.is_active
    RETURNING r.user_id`,
      [tenantId, tokenHash],
    )) as [Array<{ user_id: number }>, number];
    return rows[0]?.user_id;
  }

  /** A new password ends any lockout. */
  async setPassword(tenantId: string, userId: number, passwordHash: string): Promise<void> {
    await this.users.update({ tenantId, id: userId }, { passwordHash, failedLoginCount: 0, lockedUntil: null });
  }
}
