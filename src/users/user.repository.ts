import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';

export interface UserRow {
  id: number;
  tenant_id: string;
  email: string;
  full_name: string | null;
  role: string;
  is_active: boolean;
  email_verified: boolean;
  last_login: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const USER_COLUMNS = `id, tenant_id, email, full_name, role, is_active, email_verified, last_login, created_at, updated_at`;

export interface NewUser {
  email: string;
  password_hash: string;
  full_name: string | null;
  role: string;
}

export interface UserChanges {
  full_name?: string | null;
  role?: string;
  is_active?: boolean;
}

/** tenant_users of the request's tenant; the tenant is in every WHERE. password_hash never leaves here except for verification. */
@RequestBound()
export class UserRepository {
  constructor(private readonly db: TenantConnection) {}

  async insert(user: NewUser): Promise<UserRow> {
    const rows = await this.db.query<UserRow>(
      `INSERT INTO tenant_users (tenant_id, email, password_hash, full_name, role, is_active, email_verified)
       VALUES ($1, $2, $3, $4, $5, true, false) RETURNING ${USER_COLUMNS}`,
      [this.db.tenantId, user.email, user.password_hash, user.full_name, user.role],
    );
    return rows[0];
  }

  list(limit: number, afterId: number | undefined): Promise<UserRow[]> {
    return this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM tenant_users WHERE tenant_id = $1 AND ($2::int IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [this.db.tenantId, afterId ?? null, limit],
    );
  }

  async findById(id: number, forUpdate = false): Promise<UserRow | undefined> {
    const rows = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM tenant_users WHERE tenant_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [this.db.tenantId, id],
    );
    return rows[0];
  }

  async passwordHash(id: number): Promise<string | undefined> {
    const rows = await this.db.query<{ password_hash: string }>(`SELECT password_hash FROM tenant_users WHERE tenant_id = $1 AND id = $2`, [
      this.db.tenantId,
      id,
    ]);
    return rows[0]?.password_hash;
  }

  async setPassword(id: number, hash: string): Promise<void> {
    await this.db.execute(`UPDATE tenant_users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2`, [this.db.tenantId, id, hash]);
  }

  async update(id: number, changes: UserChanges): Promise<UserRow | undefined> {
    const rows = await this.db.query<UserRow>(
      `UPDATE tenant_users
          SET full_name = CASE WHEN $3 THEN $4 ELSE full_name END,
              role = COALESCE($5, role),
              is_active = COALESCE($6, is_active)
        WHERE tenant_id = $1 AND id = $2
    RETURNING ${USER_COLUMNS}`,
      [this.db.tenantId, id, changes.full_name !== undefined, changes.full_name ?? null, changes.role ?? null, changes.is_active ?? null],
    );
    return rows[0];
  }

  /**
   * Serialises user-count and last-admin decisions of one tenant: every such check first locks the
   * tenant's row, so two concurrent requests cannot both pass (and answers the plan's user limit).
   */
  async lockTenantForUserChanges(): Promise<{ max_users: number }> {
    const rows = await this.db.query<{ max_users: number }>(`SELECT max_users FROM tenants WHERE tenant_id = $1 FOR UPDATE`, [this.db.tenantId]);
    return rows[0];
  }

  async countActive(): Promise<number> {
    const rows = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tenant_users WHERE tenant_id = $1 AND is_active`, [this.db.tenantId]);
    return rows[0].n;
  }

  async countActiveAdmins(): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tenant_users WHERE tenant_id = $1 AND is_active AND role = 'ADMIN'`,
      [this.db.tenantId],
    );
    return rows[0].n;
  }
}
