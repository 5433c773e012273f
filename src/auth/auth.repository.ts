import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';

export interface LoginCandidate {
  user_id: number;
  tenant_id: string;
  subdomain: string;
  password_hash: string;
  role: string;
  is_active: boolean;
  tenant_status: string;
  trial_ends_at: Date | null;
  failed_login_count: number;
  locked_until: Date | null;
}

export interface FailureState {
  failed_login_count: number;
  locked_until: Date | null;
  locked_now: boolean;
}

export interface LoggedInUser {
  id: number;
  tenant_id: string;
  email: string;
  full_name: string | null;
  role: string;
  last_login: Date | null;
}

export interface RefreshTokenRow {
  id: string;
  user_id: number;
  family_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  role: string;
  is_active: boolean;
  email: string;
  full_name: string | null;
  tenant_status: string;
  trial_ends_at: Date | null;
}

/**
 * Login, refresh-token and password-reset rows, in the request's transaction. The login look-up
 * runs before any tenant is set (definer function fg_login_lookup, on the request's own
 * connection); everything else after `tx.setTenant`, under RLS, with the tenant in every WHERE.
 */
@RequestBound()
export class AuthRepository {
  constructor(private readonly db: TenantConnection) {}

  /** Accounts with this e-mail (in the hinted organization only, when there is a hint). */
  loginCandidates(email: string, subdomain: string | undefined): Promise<LoginCandidate[]> {
    return this.db.query<LoginCandidate>('SELECT * FROM fg_login_lookup($1, $2)', [email, subdomain ?? null]);
  }

  /**
   * One more consecutive failure; the one that reaches `maxFailures` locks the account for
   * `lockSeconds` and starts the count again, so the account gets a fresh budget after the lock.
   */
  async recordLoginFailure(userId: number, maxFailures: number, lockSeconds: number): Promise<FailureState> {
    const rows = await this.db.query<FailureState>(
      `UPDATE tenant_users
          SET failed_login_count = CASE WHEN failed_login_count + 1 >= $3 THEN 0 ELSE failed_login_count + 1 END,
              locked_until = CASE WHEN failed_login_count + 1 >= $3 THEN now() + make_interval(secs => $4) ELSE locked_until END
        WHERE tenant_id = $1 AND id = $2
    RETURNING failed_login_count, locked_until, (failed_login_count = 0) AS locked_now`,
      [this.db.tenantId, userId, maxFailures, lockSeconds],
    );
    return rows[0] ?? { failed_login_count: 0, locked_until: null, locked_now: false };
  }

  /** A successful login: counters reset, last_login set, and the hash replaced when it was rehashed. */
  async recordLogin(userId: number, newHash: string | null): Promise<LoggedInUser | undefined> {
    const rows = await this.db.query<LoggedInUser>(
      `UPDATE tenant_users
          SET last_login = now(), failed_login_count = 0, locked_until = NULL,
              password_hash = COALESCE($3, password_hash)
        WHERE tenant_id = $1 AND id = $2 AND is_active
    RETURNING id, tenant_id, email, full_name, role, last_login`,
      [this.db.tenantId, userId, newHash],
    );
    return rows[0];
  }

  async insertRefreshToken(userId: number, familyId: string, hash: string, ttlSeconds: number): Promise<void> {
    await this.db.execute(
      `INSERT INTO tenant_refresh_tokens (tenant_id, user_id, family_id, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [this.db.tenantId, userId, familyId, hash, ttlSeconds],
    );
  }

  /** The token with its user and tenant, locked so two concurrent refreshes cannot both rotate it. */
  async findRefreshTokenForUpdate(hash: string): Promise<RefreshTokenRow | undefined> {
    const rows = await this.db.query<RefreshTokenRow>(
      `SELECT r.id, r.user_id, r.family_id, r.expires_at, r.used_at, r.revoked_at,
              u.role, u.is_active, u.email, u.full_name, t.status AS tenant_status, t.trial_ends_at
         FROM tenant_refresh_tokens r
         JOIN tenant_users u ON u.tenant_id = r.tenant_id AND u.id = r.user_id
         JOIN tenants t ON t.tenant_id = r.tenant_id
        WHERE r.tenant_id = $1 AND r.token_hash = $2
          FOR UPDATE OF r`,
      [this.db.tenantId, hash],
    );
    return rows[0];
  }

  async markRefreshTokenUsed(id: string): Promise<void> {
    await this.db.execute(`UPDATE tenant_refresh_tokens SET used_at = now() WHERE tenant_id = $1 AND id = $2`, [this.db.tenantId, id]);
  }

  async revokeRefreshFamily(familyId: string): Promise<void> {
    await this.db.execute(
      `UPDATE tenant_refresh_tokens SET revoked_at = now() WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL`,
      [this.db.tenantId, familyId],
    );
  }

  async revokeRefreshTokensOfUser(userId: number): Promise<void> {
    await this.db.execute(
      `UPDATE tenant_refresh_tokens SET revoked_at = now() WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [this.db.tenantId, userId],
    );
  }

  /** A new reset token replaces any earlier unused one of the same user. */
  async insertPasswordReset(userId: number, hash: string, ttlSeconds: number): Promise<void> {
    await this.db.execute(
      `UPDATE tenant_password_resets SET used_at = now() WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`,
      [this.db.tenantId, userId],
    );
    await this.db.execute(
      `INSERT INTO tenant_password_resets (tenant_id, user_id, token_hash, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [this.db.tenantId, userId, hash, ttlSeconds],
    );
  }

  /** Spends a valid reset token (unused, unexpired, active user) and answers its user, or nothing. */
  async consumePasswordReset(hash: string): Promise<number | undefined> {
    const rows = await this.db.query<{ user_id: number }>(
      `UPDATE tenant_password_resets r SET used_at = now()
         FROM tenant_users u
        WHERE r.tenant_id = $1 AND r.token_hash = $2 AND r.used_at IS NULL AND r.expires_at > now()
          AND u.tenant_id = r.tenant_id AND u.id = r.user_id AND u.is_active
    RETURNING r.user_id`,
      [this.db.tenantId, hash],
    );
    return rows[0]?.user_id;
  }

  async setPassword(userId: number, hash: string): Promise<void> {
    await this.db.execute(
      `UPDATE tenant_users SET password_hash = $3, failed_login_count = 0, locked_until = NULL WHERE tenant_id = $1 AND id = $2`,
      [this.db.tenantId, userId, hash],
    );
  }

  async tenantStatus(): Promise<{ status: string; trial_ends_at: Date | null } | undefined> {
    const rows = await this.db.query<{ status: string; trial_ends_at: Date | null }>(
      `SELECT status, trial_ends_at FROM tenants WHERE tenant_id = $1`,
      [this.db.tenantId],
    );
    return rows[0];
  }
}
