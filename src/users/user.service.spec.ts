import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { AuditWriter } from '../audit/audit.writer.js';
import { AuthRepository } from '../auth/auth.repository.js';
import { PasswordHasher } from '../auth/password.hasher.js';
import { UserPrincipals } from '../auth/user-principals.js';
import type { AuthContext } from '../common/auth-context.js';
import { ProblemException } from '../common/problem.js';
import { CurrentTransaction } from '../database/current-transaction.js';
import { User } from './user.entity.js';
import { NewUser, UserChanges, UserRepository } from './user.repository.js';
import { UserService } from './user.service.js';

const TENANT = 'tenant_a';
const admin: AuthContext = { tenantId: TENANT, via: 'jwt', userId: 1, role: 'ADMIN' };

/** tenant_users of one tenant in memory, with the plan's user limit and a count of tenant-row locks. */
class FakeUserRepository implements Partial<Record<keyof UserRepository, unknown>> {
  rows: User[] = [];
  maxUsers = 5;
  tenantLocks = 0;

  add(fields: Partial<User>): User {
    const user = Object.assign(new User(), {
      tenantId: TENANT, id: this.rows.length + 1, email: `u${this.rows.length + 1}@example.com`, passwordHash: 'hash:Old-Password-1',
      fullName: 'Someone', role: 'ANALYST', isActive: true, emailVerified: false, lastLogin: null, createdAt: new Date(0), updatedAt: new Date(0),
      ...fields,
    });
    this.rows.push(user);
    return user;
  }

  private find(tenantId: string, id: number): User | null {
    return this.rows.find((user) => user.tenantId === tenantId && user.id === id) ?? null;
  }

  async lockTenantForUserChanges(tenantId: string) {
    expect(tenantId).toBe(TENANT);
    this.tenantLocks += 1;
    return this.maxUsers;
  }
  async countActive(tenantId: string) {
    return this.rows.filter((user) => user.tenantId === tenantId && user.isActive).length;
  }
  async countActiveAdmins(tenantId: string) {
    return this.rows.filter((user) => user.tenantId === tenantId && user.isActive && user.role === 'ADMIN').length;
  }
  async create(tenantId: string, user: NewUser) {
    if (this.rows.some((row) => row.tenantId === tenantId && row.email === user.email)) return undefined;
    return this.add({ tenantId, ...user });
  }
  async findById(tenantId: string, id: number) {
    return this.find(tenantId, id) && { ...this.find(tenantId, id)! };
  }
  async findByIdForUpdate(tenantId: string, id: number) {
    expect(this.tenantLocks).toBeGreaterThan(0); // the tenant row is always locked first
    return this.findById(tenantId, id);
  }
  async update(tenantId: string, id: number, changes: UserChanges) {
    const user = this.find(tenantId, id);
    if (!user) return null;
    Object.assign(user, changes, { updatedAt: new Date(1) });
    return { ...user };
  }
  async passwordHash(tenantId: string, id: number) {
    return this.find(tenantId, id)?.passwordHash;
  }
  async setPassword(tenantId: string, id: number, passwordHash: string) {
    this.find(tenantId, id)!.passwordHash = passwordHash;
  }
}

describe('UserService', () => {
  let users: FakeUserRepository;
  let service: UserService;
  const sessions = { revokeCredentialsOfUser: jest.fn(async (_tenantId: string, _userId: number) => undefined) };
  const principals = { forget: jest.fn() };
  const afterCommit: Array<() => unknown> = [];
  const transaction = { afterCommit: (task: () => unknown) => afterCommit.push(task) };
  const audit = { record: jest.fn(async (_auth: AuthContext | undefined, _entry: Record<string, unknown>) => undefined) };
  const hasher = { hash: async (password: string) => `hash:${password}`, verify: async (hash: string | undefined, password: string) => hash === `hash:${password}` };

  beforeEach(async () => {
    users = new FakeUserRepository();
    afterCommit.length = 0;
    jest.clearAllMocks();
    const module = await Test.createTestingModule({
      providers: [
        UserService,
        { provide: UserRepository, useValue: users },
        { provide: AuthRepository, useValue: sessions },
        { provide: PasswordHasher, useValue: hasher },
        { provide: UserPrincipals, useValue: principals },
        { provide: CurrentTransaction, useValue: transaction },
        { provide: AuditWriter, useValue: audit },
      ],
    }).compile();
    service = module.get(UserService);
  });

  const problem = async (work: Promise<unknown>) => {
    const error = await work.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProblemException);
    const { slug, extensions } = error as ProblemException;
    return { status: (error as ProblemException).getStatus(), slug, ...extensions };
  };

  describe('create', () => {
    it('creates an ANALYST by default, stores only the hash, audits it as the caller, and answers the view', async () => {
      users.add({ role: 'ADMIN' });
      const view = await service.create(admin, { email: 'new@example.com', password: 'Welcome-Aboard-1', full_name: 'New Person' });
      expect(view).toMatchObject({ id: 2, tenant_id: TENANT, email: 'new@example.com', role: 'ANALYST', is_active: true, full_name: 'New Person' });
      expect(view).not.toHaveProperty('password_hash');
      expect(users.rows[1].passwordHash).toBe('hash:Welcome-Aboard-1');
      expect(audit.record).toHaveBeenCalledWith(admin, {
        action: 'user.created', resourceType: 'user', resourceId: 2, newValue: { email: 'new@example.com', role: 'ANALYST', full_name: 'New Person' },
      });
    });

    it('refuses a user beyond the plan limit (403 plan-limit), after locking the tenant row', async () => {
      users.maxUsers = 2;
      users.add({ role: 'ADMIN' });
      users.add({ isActive: false }); // inactive users do not count
      await service.create(admin, { email: 'second@example.com', password: 'Welcome-Aboard-1', full_name: 'Second' });
      expect(await problem(service.create(admin, { email: 'third@example.com', password: 'Welcome-Aboard-1', full_name: 'Third' })))
        .toEqual({ status: 403, slug: 'plan-limit', limit: 'max_users', max_users: 2 });
      expect(users.tenantLocks).toBe(2);
      expect(users.rows).toHaveLength(3);
    });

    it('answers 409 email-taken for an e-mail the tenant already has', async () => {
      users.add({ role: 'ADMIN', email: 'taken@example.com' });
      expect(await problem(service.create(admin, { email: 'taken@example.com', password: 'Welcome-Aboard-1', full_name: 'Again' })))
        .toMatchObject({ status: 409, slug: 'email-taken' });
      expect(audit.record).not.toHaveBeenCalled();
    });
  });

  describe('role rules', () => {
    it('never demotes or deactivates the last active ADMIN (409 last-admin), also not oneself', async () => {
      const only = users.add({ role: 'ADMIN' });
      users.add({ role: 'ADMIN', isActive: false }); // an inactive ADMIN does not count
      for (const dto of [{ role: 'MANAGER' as const }, { is_active: false }, { role: 'VIEWER' as const, is_active: true }]) {
        expect(await problem(service.update(admin, only.id, dto))).toMatchObject({ status: 409, slug: 'last-admin' });
      }
      expect(await problem(service.deactivate(admin, only.id))).toMatchObject({ status: 409, slug: 'last-admin' });
      expect(users.rows[0]).toMatchObject({ role: 'ADMIN', isActive: true });
    });

    it('lets an ADMIN step down while another active ADMIN remains, and keeps ADMINs that stay ADMIN out of the rule', async () => {
      const first = users.add({ role: 'ADMIN' });
      const second = users.add({ role: 'ADMIN' });
      await service.update(admin, second.id, { role: 'ADMIN', full_name: 'Still Admin' });
      expect(await service.update(admin, first.id, { role: 'MANAGER' })).toMatchObject({ role: 'MANAGER' });
      expect(await problem(service.update(admin, second.id, { role: 'MANAGER' }))).toMatchObject({ slug: 'last-admin' });
    });

    it('lets an inactive ADMIN be demoted: it is not an active administrator', async () => {
      users.add({ role: 'ADMIN' });
      const dormant = users.add({ role: 'ADMIN', isActive: false });
      await service.update(admin, dormant.id, { role: 'VIEWER' });
      expect(users.rows[1].role).toBe('VIEWER');
    });

    it('counts a reactivation against the plan limit (403), but not a change to an active user', async () => {
      users.maxUsers = 2;
      users.add({ role: 'ADMIN' });
      const active = users.add({});
      const dormant = users.add({ isActive: false });
      expect(await problem(service.update(admin, dormant.id, { is_active: true }))).toMatchObject({ status: 403, slug: 'plan-limit', max_users: 2 });
      await service.update(admin, active.id, { is_active: true, full_name: 'Renamed' });
      await service.deactivate(admin, active.id);
      expect(await service.update(admin, dormant.id, { is_active: true })).toMatchObject({ is_active: true });
    });

    it('answers 404 for a user the tenant does not have', async () => {
      expect(await problem(service.update(admin, 42, { role: 'VIEWER' }))).toMatchObject({ status: 404, slug: 'not-found' });
      expect(await problem(service.get(admin, 42))).toMatchObject({ status: 404 });
    });
  });

  describe('effects of a change', () => {
    it('drops the cached principal now and after COMMIT when the role changes', async () => {
      users.add({ role: 'ADMIN' });
      const user = users.add({ role: 'VIEWER' });
      await service.update(admin, user.id, { role: 'MANAGER' });
      expect(principals.forget).toHaveBeenCalledWith(TENANT, user.id);
      expect(afterCommit).toHaveLength(1);
      principals.forget.mockClear();
      await afterCommit[0]();
      expect(principals.forget).toHaveBeenCalledWith(TENANT, user.id);
      expect(sessions.revokeCredentialsOfUser).not.toHaveBeenCalled();
    });

    it('ends the sessions of a deactivated user and audits the deactivation as a WARNING', async () => {
      users.add({ role: 'ADMIN' });
      const user = users.add({ role: 'VIEWER' });
      await service.deactivate(admin, user.id);
      expect(sessions.revokeCredentialsOfUser).toHaveBeenCalledWith(TENANT, user.id);
      expect(principals.forget).toHaveBeenCalledWith(TENANT, user.id);
      expect(audit.record).toHaveBeenCalledWith(admin, {
        action: 'user.deactivated', resourceType: 'user', resourceId: user.id, oldValue: { is_active: true }, newValue: { is_active: false }, severity: 'WARNING',
      });
    });

    it('audits only the fields that changed: a rename is INFO, a role change WARNING, no change no row', async () => {
      users.add({ role: 'ADMIN' });
      const user = users.add({ role: 'VIEWER', fullName: 'Old' });
      await service.update(admin, user.id, { full_name: 'New' });
      expect(audit.record).toHaveBeenLastCalledWith(admin, expect.objectContaining({
        action: 'user.updated', oldValue: { full_name: 'Old' }, newValue: { full_name: 'New' }, severity: 'INFO' }));
      expect(principals.forget).not.toHaveBeenCalled();
      await service.update(admin, user.id, { role: 'ANALYST', full_name: 'New' });
      expect(audit.record).toHaveBeenLastCalledWith(admin, expect.objectContaining({
        action: 'user.updated', oldValue: { role: 'VIEWER' }, newValue: { role: 'ANALYST' }, severity: 'WARNING' }));
      audit.record.mockClear();
      expect(await service.update(admin, user.id, {})).toMatchObject({ role: 'ANALYST', full_name: 'New', is_active: true });
      expect(audit.record).not.toHaveBeenCalled();
    });
  });

  describe('the caller itself', () => {
    const apiKey: AuthContext = { tenantId: TENANT, via: 'api_key', apiKeyId: 7, scopes: [] };

    it('refuses /users/me and the password change to a caller without a user (an API key)', async () => {
      expect(await problem(service.me(apiKey))).toMatchObject({ status: 403, slug: 'forbidden' });
      expect(await problem(service.changePassword(apiKey, { current_password: 'x', new_password: 'Fresh-Password-5' }))).toMatchObject({ status: 403 });
    });

    it('changes the password only with the current one, then ends the other sessions', async () => {
      users.add({ role: 'ADMIN' });
      expect(await problem(service.changePassword(admin, { current_password: 'Wrong-Password-1', new_password: 'Fresh-Password-5' })))
        .toMatchObject({ status: 400, slug: 'invalid-current-password', errors: [{ field: 'current_password', message: 'current_password is not the current password' }] });
      expect(users.rows[0].passwordHash).toBe('hash:Old-Password-1');
      await service.changePassword(admin, { current_password: 'Old-Password-1', new_password: 'Fresh-Password-5' });
      expect(users.rows[0].passwordHash).toBe('hash:Fresh-Password-5');
      expect(sessions.revokeCredentialsOfUser).toHaveBeenCalledWith(TENANT, 1);
      expect(audit.record).toHaveBeenCalledWith(admin, { action: 'user.password_changed', resourceType: 'user', resourceId: 1, severity: 'WARNING' });
    });
  });
});
