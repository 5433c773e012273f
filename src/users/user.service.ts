import { Inject } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuditWriter } from '../audit/audit.writer.js';
import { AuthRepository } from '../auth/auth.repository.js';
import { UserPrincipals } from '../auth/user-principals.js';
import { PasswordHasher } from '../auth/password.hasher.js';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';
import { decodeCursor, Page, PageQuery, toPage } from '../common/pagination.js';
import { NotFoundProblem, ProblemException } from '../common/problem.js';
import type { ChangePasswordDto, CreateUserDto, UpdateUserDto } from './user.dto.js';
import { UserRepository, UserRow } from './user.repository.js';

function planLimit(maxUsers: number): ProblemException {
  return new ProblemException(403, 'plan-limit', 'Plan limit reached', `The plan allows ${maxUsers} active users; deactivate one or upgrade the plan`, {
    limit: 'max_users',
    max_users: maxUsers,
  });
}

const lastAdmin = () =>
  new ProblemException(409, 'last-admin', 'Last administrator', 'The last active ADMIN of an organization cannot be demoted or deactivated');

/**
 * Tenant users. Every decision that depends on how many users or admins exist (plan max_users,
 * last active ADMIN) locks the tenant row first, so concurrent requests are serialised.
 */
@RequestBound()
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly principals: UserPrincipals,
    private readonly db: TenantConnection,
    private readonly audit: AuditWriter,
    @Inject(REQUEST) private readonly request: FastifyRequest,
  ) {}

  private get callerId(): number {
    const userId = this.request.auth?.userId;
    if (!userId) throw new ProblemException(403, 'forbidden', 'Forbidden', 'This route requires a user login');
    return userId;
  }

  async list(query: PageQuery): Promise<Page<UserRow>> {
    const limit = query.limit ?? 50;
    const after = decodeCursor('users', query.starting_after, 1);
    const rows = await this.users.list(limit + 1, after ? Number(after[0]) : undefined);
    return toPage('users', rows, limit, (row) => [row.id]);
  }

  async get(id: number): Promise<UserRow> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundProblem('User');
    return user;
  }

  me(): Promise<UserRow> {
    return this.get(this.callerId);
  }

  async create(dto: CreateUserDto): Promise<UserRow> {
    const { max_users } = await this.users.lockTenantForUserChanges();
    if ((await this.users.countActive()) >= max_users) throw planLimit(max_users);
    let user: UserRow;
    try {
      user = await this.users.insert({ email: dto.email, password_hash: await this.hasher.hash(dto.password), full_name: dto.full_name, role: dto.role ?? 'ANALYST' });
    } catch (error) {
      if ((error as { constraint?: string }).constraint === 'tenant_users_tenant_id_email_key') {
        throw new ProblemException(409, 'email-taken', 'E-mail taken', 'A user with this e-mail already exists in this organization');
      }
      throw error;
    }
    await this.audit.record({ action: 'user.created', resourceType: 'user', resourceId: user.id, newValue: { email: user.email, role: user.role, full_name: user.full_name } });
    return user;
  }

  async update(id: number, dto: UpdateUserDto): Promise<UserRow> {
    const { max_users } = await this.users.lockTenantForUserChanges();
    const before = await this.users.findById(id, true);
    if (!before) throw new NotFoundProblem('User');
    const losesAdmin = before.is_active && before.role === 'ADMIN' && ((dto.role !== undefined && dto.role !== 'ADMIN') || dto.is_active === false);
    if (losesAdmin && (await this.users.countActiveAdmins()) <= 1) throw lastAdmin();
    if (dto.is_active === true && !before.is_active && (await this.users.countActive()) >= max_users) throw planLimit(max_users);

    const after = (await this.users.update(id, { full_name: dto.full_name, role: dto.role, is_active: dto.is_active }))!;
    if (before.is_active && !after.is_active) await this.sessions.revokeRefreshTokensOfUser(id);
    if (before.role !== after.role || before.is_active !== after.is_active) {
      // Other instances drop their cached principal through NOTIFY; this one must not wait for it.
      const tenantId = this.db.tenantId;
      this.principals.forget(tenantId, id);
      this.db.tx.afterCommit(() => this.principals.forget(tenantId, id));
    }

    const oldValue: Record<string, unknown> = {};
    const newValue: Record<string, unknown> = {};
    for (const field of ['full_name', 'role', 'is_active'] as const) {
      if (before[field] !== after[field]) {
        oldValue[field] = before[field];
        newValue[field] = after[field];
      }
    }
    if (Object.keys(newValue).length) {
      const action = before.is_active && !after.is_active ? 'user.deactivated' : 'user.updated';
      await this.audit.record({ action, resourceType: 'user', resourceId: id, oldValue, newValue, severity: 'role' in newValue || action === 'user.deactivated' ? 'WARNING' : 'INFO' });
    }
    return after;
  }

  async deactivate(id: number): Promise<void> {
    await this.update(id, { is_active: false });
  }

  /** The caller's own password; other sessions of the user end (their refresh tokens are revoked). */
  async changePassword(dto: ChangePasswordDto): Promise<void> {
    const userId = this.callerId;
    if (!(await this.hasher.verify(await this.users.passwordHash(userId), dto.current_password))) {
      throw new ProblemException(400, 'invalid-current-password', 'Wrong current password', 'current_password is not the current password', {
        errors: [{ field: 'current_password', message: 'current_password is not the current password' }],
      });
    }
    await this.users.setPassword(userId, await this.hasher.hash(dto.new_password));
    await this.sessions.revokeRefreshTokensOfUser(userId);
    await this.audit.record({ action: 'user.password_changed', resourceType: 'user', resourceId: userId, severity: 'WARNING' });
  }
}
