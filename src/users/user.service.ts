import { Injectable } from '@nestjs/common';
import { AuditWriter } from '../audit/audit.writer.js';
import { AuthRepository } from '../auth/auth.repository.js';
import { PasswordHasher } from '../auth/password.hasher.js';
import { UserPrincipals } from '../auth/user-principals.js';
import { type AuthContext, ROLES } from '../common/auth-context.js';
import { decodeCursor, PageQuery, toPage } from '../common/pagination.js';
import { NotFoundProblem, ProblemException } from '../common/problem.js';
import { CurrentTransaction } from '../database/current-transaction.js';
import { type ChangePasswordDto, type CreateUserDto, type UpdateUserDto, type UserPage, type UserView, userView } from './user.dto.js';
import type { User } from './user.entity.js';
import { UserChanges, UserRepository } from './user.repository.js';

function planLimit(maxUsers: number): ProblemException {
  return new ProblemException(403, 'plan-limit', 'Plan limit reached', `The plan allows ${maxUsers} active users; deactivate one or upgrade the plan`, {
    limit: 'max_users',
    max_users: maxUsers,
  });
}

const lastAdmin = () =>
  new ProblemException(409, 'last-admin', 'Last administrator', 'The last active ADMIN of an organization cannot be demoted or deactivated');

/** The user behind the caller; API keys have none. */
function callerId(auth: AuthContext): number {
  if (!auth.userId) throw new ProblemException(403, 'forbidden', 'Forbidden', 'This route requires a user login');
  return auth.userId;
}

/** Whether the change takes an active ADMIN away: a demotion or a deactivation. */
function losesAdmin(before: User, dto: UpdateUserDto): boolean {
  return before.isActive === true && before.role === 'ADMIN' && ((dto.role !== undefined && dto.role !== 'ADMIN') || dto.is_active === false);
}

/**
 * Tenant users. Every decision that depends on how many users or admins exist (plan max_users,
 * last active ADMIN) locks the tenant row first, so concurrent requests are serialised.
 */
@Injectable()
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly principals: UserPrincipals,
    private readonly transaction: CurrentTransaction,
    private readonly audit: AuditWriter,
  ) {}

  async list(auth: AuthContext, query: PageQuery): Promise<UserPage> {
    const limit = query.limit ?? 50;
    const after = decodeCursor('users', query.starting_after, 1);
    const users = await this.users.list(auth.tenantId, after ? Number(after[0]) : undefined, limit + 1);
    const page = toPage('users', users, limit, (user) => [user.id]);
    return { ...page, data: page.data.map(userView) };
  }

  async get(auth: AuthContext, id: number): Promise<UserView> {
    const user = await this.users.findById(auth.tenantId, id);
    if (!user) throw new NotFoundProblem('User');
    return userView(user);
  }

  async me(auth: AuthContext): Promise<UserView> {
    return this.get(auth, callerId(auth));
  }

  async create(auth: AuthContext, dto: CreateUserDto): Promise<UserView> {
    const maxUsers = await this.lockTenant(auth.tenantId);
    if ((await this.users.countActive(auth.tenantId)) >= maxUsers) throw planLimit(maxUsers);
    const user = await this.users.create(auth.tenantId, {
      email: dto.email,
      passwordHash: await this.hasher.hash(dto.password),
      fullName: dto.full_name,
      role: dto.role ?? 'ANALYST',
    });
    if (!user) throw new ProblemException(409, 'email-taken', 'E-mail taken', 'A user with this e-mail already exists in this organization');
    await this.audit.record(auth, { action: 'user.created', resourceType: 'user', resourceId: user.id, newValue: { email: user.email, role: user.role, full_name: user.fullName } });
    return userView(user);
  }

  async update(auth: AuthContext, id: number, dto: UpdateUserDto): Promise<UserView> {
    const tenantId = auth.tenantId;
    const maxUsers = await this.lockTenant(tenantId);
    const before = await this.users.findByIdForUpdate(tenantId, id);
    if (!before) throw new NotFoundProblem('User');
    if (losesAdmin(before, dto) && (await this.users.countActiveAdmins(tenantId)) <= 1) throw lastAdmin();
    if (dto.is_active === true && !before.isActive && (await this.users.countActive(tenantId)) >= maxUsers) throw planLimit(maxUsers);

    // The row is locked: the fields the body leaves out are written back as they are.
    const changes: UserChanges = {
      fullName: dto.full_name !== undefined ? dto.full_name : before.fullName,
      role: dto.role ?? before.role,
      isActive: dto.is_active ?? before.isActive,
    };
    const after = (await this.users.update(tenantId, id, changes))!;
    // Deactivated or demoted: sessions and reset tokens issued under the old standing end.
    const demoted = ROLES.indexOf(after.role) < ROLES.indexOf(before.role);
    if ((before.isActive && !after.isActive) || demoted) await this.sessions.revokeCredentialsOfUser(tenantId, id);
    if (before.role !== after.role || before.isActive !== after.isActive) {
      // Other instances drop their cached principal through NOTIFY; this one must not wait for it.
      this.principals.forget(tenantId, id);
      this.transaction.afterCommit(() => this.principals.forget(tenantId, id));
    }

    const [oldView, newView] = [userView(before), userView(after)];
    const oldValue: Record<string, unknown> = {};
    const newValue: Record<string, unknown> = {};
    for (const field of ['full_name', 'role', 'is_active'] as const) {
      if (oldView[field] !== newView[field]) {
        oldValue[field] = oldView[field];
        newValue[field] = newView[field];
      }
    }
    if (Object.keys(newValue).length) {
      const action = before.isActive && !after.isActive ? 'user.deactivated' : 'user.updated';
      await this.audit.record(auth, {
        action,
        resourceType: 'user',
        resourceId: id,
        oldValue,
        newValue,
        severity: 'role' in newValue || action === 'user.deactivated' ? 'WARNING' : 'INFO',
      });
    }
    return newView;
  }

  async deactivate(auth: AuthContext, id: number): Promise<void> {
    await this.update(auth, id, { is_active: false });
  }

  /** The caller's own password; other sessions of the user end (refresh tokens revoked) and outstanding reset tokens are spent. */
  async changePassword(auth: AuthContext, dto: ChangePasswordDto): Promise<void> {
    const userId = callerId(auth);
    if (!(await this.hasher.verify(await this.users.passwordHash(auth.tenantId, userId), dto.current_password))) {
      throw new ProblemException(400, 'invalid-current-password', 'Wrong current password', 'current_password is not the current password', {
        errors: [{ field: 'current_password', message: 'current_password is not the current password' }],
      });
    }
    await this.users.setPassword(auth.tenantId, userId, await this.hasher.hash(dto.new_password));
    await this.sessions.revokeCredentialsOfUser(auth.tenantId, userId);
    await this.audit.record(auth, { action: 'user.password_changed', resourceType: 'user', resourceId: userId, severity: 'WARNING' });
  }

  /** Locks the tenant row (see the class comment) and answers the plan's user limit. */
  private async lockTenant(tenantId: string): Promise<number> {
    const maxUsers = await this.users.lockTenantForUserChanges(tenantId);
    if (maxUsers === undefined) throw new NotFoundProblem('Tenant');
    return maxUsers;
  }
}
