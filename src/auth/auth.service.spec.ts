import { jest } from '@jest/globals';
import type { TransactionHost } from '@nestjs-cls/transactional';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import type { AuditWriter } from '../audit/audit.writer.js';
import type { AuditEntry } from '../audit/audit.entry.js';
import { ProblemException } from '../common/problem.js';
import { authConfig } from '../config/auth.config.js';
import type { AuthChangeListener } from '../database/auth-change-listener.js';
import type { CurrentTransaction } from '../database/current-transaction.js';
import type { MailService } from '../mail/mail.service.js';
import type { AccessClaims, AccessTokenService } from './access-token.service.js';
import type { AuthLookupRepository } from './auth-lookup.repository.js';
import type { AuthRepository, FailureState, LoggedInUser, LoginCandidate } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { UnknownEmailThrottle } from './login-throttle.js';
import { hashOpaqueToken, tenantOfOpaqueToken } from './opaque-token.js';
import type { PasswordHasher } from './password.hasher.js';
import { SubdomainResolver } from './subdomain.resolver.js';

const config = authConfig({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_SECONDS: '60', LOGIN_SLOWDOWN_AFTER: '2', LOGIN_SLOWDOWN_MS: '100' });
const PASSWORD = 'Correct-Horse-7';

/** Accounts as fg_login_lookup and tenant_users would show them, with the counters the SQL keeps. */
class FakeAuthRepository implements Partial<Record<keyof AuthRepository, unknown>> {
  accounts: Array<LoginCandidate & { email: string; is_active: boolean }> = [];
  refreshTokens: Array<{ tenantId: string; userId: number; familyId: string; tokenHash: string; usedAt: Date | null; revokedAt: Date | null; expiresAt: Date }> = [];
  resets: Array<{ tenantId: string; userId: number; tokenHash: string }> = [];

  /** Accounts are made in the order of these calls: the first one with an e-mail is the oldest. */
  account(fields: Partial<LoginCandidate> & { email: string; is_active?: boolean }) {
    const account = {
      user_id: this.accounts.length + 1, tenant_id: 'tenant_a', subdomain: 'acme', password_hash: `hash:${PASSWORD}`, role: 'ANALYST' as const,
      is_active: true, tenant_status: 'ACTIVE', trial_ends_at: null, failed_login_count: 0, locked_until: null, accounts: 0, ...fields,
    };
    this.accounts.push(account);
    return account;
  }

  private matching(email: string, subdomain: string | undefined) {
    return this.accounts.filter((a) => a.is_active && a.email === email && (subdomain === undefined || a.subdomain === subdomain));
  }
  async loginCandidate(email: string, subdomain: string | undefined) {
    const found = this.matching(email, subdomain);
    return found[0] && { ...found[0], accounts: found.length };
  }
  async accountsOfEmail(email: string, subdomain: string | undefined) {
    return this.matching(email, subdomain).map(({ user_id, tenant_id, subdomain: sub, tenant_status, trial_ends_at }) => ({ user_id, tenant_id, subdomain: sub, tenant_status, trial_ends_at }));
  }
  async recordLoginFailure(tenantId: string, userId: number, maxFailures: number, lockSeconds: number): Promise<FailureState> {
    const account = this.accounts.find((a) => a.tenant_id === tenantId && a.user_id === userId)!;
    const locks = account.failed_login_count + 1 >= maxFailures;
    account.failed_login_count = locks ? 0 : account.failed_login_count + 1;
    if (locks) account.locked_until = new Date(Date.now() + lockSeconds * 1000);
    return { failed_login_count: account.failed_login_count, locked_until: account.locked_until, locked_now: locks };
  }
  async recordLogin(tenantId: string, userId: number, newHash: string | null): Promise<LoggedInUser | undefined> {
    const account = this.accounts.find((a) => a.tenant_id === tenantId && a.user_id === userId && a.is_active);
    if (!account) return undefined;
    Object.assign(account, { failed_login_count: 0, locked_until: null }, newHash && { password_hash: newHash });
    return { id: userId, tenantId, email: account.email, fullName: 'Fixture', role: account.role, lastLogin: new Date(0) };
  }
  async insertRefreshToken(tenantId: string, userId: number, familyId: string, tokenHash: string, ttlSeconds: number) {
    this.refreshTokens.push({ tenantId, userId, familyId, tokenHash, usedAt: null, revokedAt: null, expiresAt: new Date(Date.now() + ttlSeconds * 1000) });
  }
  async findRefreshTokenForUpdate(tenantId: string, tokenHash: string) {
    const token = this.refreshTokens.find((t) => t.tenantId === tenantId && t.tokenHash === tokenHash);
    const owner = token && this.accounts.find((a) => a.tenant_id === tenantId && a.user_id === token.userId)!;
    return token && {
      token: { ...token, id: String(this.refreshTokens.indexOf(token) + 1), createdAt: new Date(0) },
      user: { role: owner!.role, isActive: owner!.is_active },
      tenant: { status: owner!.tenant_status as 'ACTIVE', trialEndsAt: owner!.trial_ends_at },
    };
  }
  async markRefreshTokenUsed(tenantId: string, id: string) {
    this.refreshTokens[Number(id) - 1].usedAt = new Date();
  }
  async revokeRefreshFamily(tenantId: string, familyId: string) {
    for (const token of this.refreshTokens) if (token.tenantId === tenantId && token.familyId === familyId) token.revokedAt ??= new Date();
  }
  async insertPasswordReset(tenantId: string, userId: number, tokenHash: string) {
    this.resets.push({ tenantId, userId, tokenHash });
  }
}

class FakeTransaction implements Partial<Record<keyof CurrentTransaction, unknown>> {
  tenants: string[] = [];
  keepWrites = false;
  delayMs = 0;
  afterCommitTasks: Array<() => unknown> = [];
  async setTenant(tenantId: string) {
    this.tenants.push(tenantId);
  }
  commitDespiteError() {
    this.keepWrites = true;
  }
  delayErrorAnswer(ms: number) {
    this.delayMs = Math.max(this.delayMs, ms);
  }
  afterCommit(task: () => unknown) {
    this.afterCommitTasks.push(task);
  }
}

describe('AuthService', () => {
  let repository: FakeAuthRepository;
  let transaction: FakeTransaction;
  let service: AuthService;
  let verifications: Array<string | undefined>;
  let audit: { record: jest.Mock<(auth: unknown, entry: AuditEntry) => Promise<void>> };
  let mail: { send: jest.Mock<(mail: { to: string; text: string }) => Promise<void>> };

  beforeEach(() => {
    repository = new FakeAuthRepository();
    transaction = new FakeTransaction();
    verifications = [];
    audit = { record: jest.fn(async () => undefined) };
    mail = { send: jest.fn(async () => undefined) };
    const hasher = {
      hash: async (password: string) => `hash:${password}`,
      verify: async (hash: string | undefined, password: string) => {
        verifications.push(hash);
        return hash === `hash:${password}` || hash === `old:${password}`;
      },
      needsRehash: (hash: string) => hash.startsWith('old:'),
    };
    const tokens = { sign: (claims: AccessClaims) => `jwt:${claims.tenant_id}:${claims.sub}:${claims.role}`, ttlSeconds: 900 };
    const listener = { onChange: () => undefined, live: false } as unknown as AuthChangeListener;
    service = new AuthService(
      repository as unknown as AuthRepository,
      hasher as unknown as PasswordHasher,
      tokens as unknown as AccessTokenService,
      new SubdomainResolver({} as AuthLookupRepository, listener, config),
      new UnknownEmailThrottle(config),
      audit as unknown as AuditWriter,
      mail as unknown as MailService,
      transaction as unknown as CurrentTransaction,
      { withTransaction: (_propagation: unknown, _options: unknown, work: () => Promise<unknown>) => work() } as unknown as TransactionHost<TenantTransactionAdapter>,
      config,
    );
  });

  const refusal = async (work: Promise<unknown>) => {
    const error = await work.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProblemException);
    const problem = error as ProblemException;
    return { status: problem.getStatus(), slug: problem.slug, headers: problem.headers };
  };
  const login = (email: string, password: string, options: { subdomain?: string; host?: string } = {}) =>
    service.login({ email, password, subdomain: options.subdomain }, options.host);
  const actions = () => audit.record.mock.calls.map(([, entry]) => entry.action);

  describe('login', () => {
    it('logs in under the account tenant: counters reset, tokens issued, the login audited, the user shown', async () => {
      repository.account({ email: 'ada@example.com', role: 'ADMIN', failed_login_count: 2 });
      const answer = await login('ada@example.com', PASSWORD);
      expect(answer).toEqual({
        access_token: 'jwt:tenant_a:1:ADMIN', token_type: 'Bearer', expires_in: 900, refresh_token: expect.stringMatching(/^fgr_/),
        refresh_expires_in: config.refreshTokenTtlSeconds,
        user: { id: 1, tenant_id: 'tenant_a', email: 'ada@example.com', full_name: 'Fixture', role: 'ADMIN', last_login: new Date(0) },
      });
      expect(transaction.tenants).toEqual(['tenant_a']);
      expect(repository.accounts[0].failed_login_count).toBe(0);
      expect(repository.refreshTokens).toEqual([expect.objectContaining({ tenantId: 'tenant_a', userId: 1, tokenHash: hashOpaqueToken(answer.refresh_token) })]);
      expect(audit.record).toHaveBeenCalledWith(undefined, { action: 'auth.login', resourceType: 'user', resourceId: 1, userId: 1, newValue: undefined });
    });

    it('rehashes a password stored with old parameters', async () => {
      repository.account({ email: 'ada@example.com', password_hash: `old:${PASSWORD}` });
      await login('ada@example.com', PASSWORD);
      expect(repository.accounts[0].password_hash).toBe(`hash:${PASSWORD}`);
      expect(audit.record.mock.calls[0][1].newValue).toEqual({ password_rehashed: true });
    });

    it('answers an unknown e-mail like a wrong password, after one argon2 verification, and writes nothing', async () => {
      repository.account({ email: 'ada@example.com' });
      const unknown = await refusal(login('nobody@example.com', 'Wrong-Password-1'));
      expect(verifications).toEqual([undefined]);
      expect(transaction).toMatchObject({ tenants: [], keepWrites: false });
      const wrong = await refusal(login('ada@example.com', 'Wrong-Password-1'));
      expect(unknown).toEqual(wrong);
      expect(unknown).toEqual({ status: 401, slug: 'invalid-credentials', headers: { 'www-authenticate': 'Bearer' } });
      expect(actions()).toEqual(['auth.login_failed']); // the known account's only
    });

    it('treats an inactive account as unknown', async () => {
      repository.account({ email: 'gone@example.com', is_active: false });
      expect(await refusal(login('gone@example.com', PASSWORD))).toMatchObject({ status: 401, slug: 'invalid-credentials' });
      expect(transaction.tenants).toEqual([]);
    });

    it('counts failures in the account tenant, keeps them despite the 401, slows down, then locks (429 even with the right password)', async () => {
      repository.account({ email: 'ada@example.com' });
      await refusal(login('ada@example.com', 'Wrong-Password-1'));
      expect(transaction).toMatchObject({ tenants: ['tenant_a'], keepWrites: true, delayMs: 0 });
      await refusal(login('ada@example.com', 'Wrong-Password-1'));
      expect(transaction.delayMs).toBe(100); // from the 2nd consecutive failure on
      expect(await refusal(login('ada@example.com', 'Wrong-Password-1'))).toMatchObject({ status: 401 }); // the 3rd locks
      expect(actions()).toEqual(['auth.login_failed', 'auth.login_failed', 'auth.locked']);
      const locked = await refusal(login('ada@example.com', PASSWORD));
      expect(locked).toMatchObject({ status: 429, slug: 'login-locked' });
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(55);
      expect(actions()).toHaveLength(3); // a locked account's attempts are not counted again
    });

    it('locks an unknown e-mail after the same number of failures, in process', async () => {
      for (let i = 0; i < 3; i++) expect(await refusal(login('nobody@example.com', 'Wrong-Password-1'))).toMatchObject({ status: 401 });
      expect(await refusal(login('nobody@example.com', 'Wrong-Password-1'))).toMatchObject({ status: 429, slug: 'login-locked' });
      expect(transaction.keepWrites).toBe(false);
      expect(transaction.delayMs).toBe(100);
    });

    it('checks one password per login: the first account made with a shared e-mail, else asks for the organization', async () => {
      repository.account({ email: 'shared@example.com', tenant_id: 'tenant_a', subdomain: 'acme' });
      repository.account({ email: 'shared@example.com', tenant_id: 'tenant_b', subdomain: 'beta', password_hash: 'hash:Other-Password-9' });
      expect((await login('shared@example.com', PASSWORD)).user.tenant_id).toBe('tenant_a');
      expect(verifications).toEqual([`hash:${PASSWORD}`]);
      // The second account's password, without a hint: the first account's check fails, and the
      // answer asks for the organization without naming any; the failure counts on the account checked.
      const asked = await refusal(login('shared@example.com', 'Other-Password-9'));
      expect(asked).toMatchObject({ status: 400, slug: 'tenant-required' });
      expect(verifications).toHaveLength(2);
      expect(repository.accounts[0].failed_login_count).toBe(1);
      expect((await login('shared@example.com', 'Other-Password-9', { subdomain: 'beta' })).user.tenant_id).toBe('tenant_b');
      expect(verifications).toHaveLength(3);
    });

    it('asks for the organization, not "locked", when the first account of a shared e-mail is locked and no hint is given', async () => {
      repository.account({ email: 'shared@example.com', tenant_id: 'tenant_a', locked_until: new Date(Date.now() + 60_000) });
      repository.account({ email: 'shared@example.com', tenant_id: 'tenant_b', subdomain: 'beta' });
      expect(await refusal(login('shared@example.com', PASSWORD))).toMatchObject({ status: 400, slug: 'tenant-required' });
      expect(verifications).toEqual([undefined]);
      expect((await login('shared@example.com', PASSWORD, { subdomain: 'beta' })).user.tenant_id).toBe('tenant_b');
    });

    it('takes the tenant hint from the host; a body subdomain that contradicts it is 403 before any look-up', async () => {
      repository.account({ email: 'ada@example.com', subdomain: 'acme' });
      expect((await login('ada@example.com', PASSWORD, { host: 'acme.fraudguard.example' })).user.id).toBe(1);
      expect(await refusal(login('ada@example.com', PASSWORD, { host: 'beta.fraudguard.example' }))).toMatchObject({ status: 401 });
      expect(await refusal(login('ada@example.com', PASSWORD, { host: 'acme.fraudguard.example', subdomain: 'beta' })))
        .toMatchObject({ status: 403, slug: 'tenant-mismatch' });
      // Reserved and foreign hosts name no tenant.
      expect((await login('ada@example.com', PASSWORD, { host: 'www.fraudguard.example' })).user.id).toBe(1);
      expect((await login('ada@example.com', PASSWORD, { host: 'localhost', subdomain: 'acme' })).user.id).toBe(1);
    });

    it('refuses the right password of a suspended tenant (403) without opening its tenant', async () => {
      repository.account({ email: 'ada@example.com', tenant_status: 'SUSPENDED' });
      expect(await refusal(login('ada@example.com', PASSWORD))).toMatchObject({ status: 403, slug: 'tenant-suspended' });
      expect(transaction.tenants).toEqual([]);
    });
  });

  describe('refresh', () => {
    it('rotates the token; a spent one presented again revokes its family, kept despite the 401', async () => {
      repository.account({ email: 'ada@example.com' });
      const first = await login('ada@example.com', PASSWORD);
      const second = await service.refresh(first.refresh_token);
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(transaction.keepWrites).toBe(false);
      expect(await refusal(service.refresh(first.refresh_token))).toMatchObject({ status: 401, slug: 'invalid-refresh-token' });
      expect(transaction.keepWrites).toBe(true);
      expect(repository.refreshTokens.every((token) => token.revokedAt)).toBe(true);
      expect(actions()).toContain('auth.refresh_token_reused');
      expect(await refusal(service.refresh(second.refresh_token))).toMatchObject({ status: 401 });
    });

    it('refuses tokens of no tenant, expired tokens and tokens of deactivated users', async () => {
      const account = repository.account({ email: 'ada@example.com' });
      expect(await refusal(service.refresh('nonsense'))).toMatchObject({ status: 401 });
      expect(transaction.tenants).toEqual([]);
      const session = await login('ada@example.com', PASSWORD);
      repository.refreshTokens[0].expiresAt = new Date(Date.now() - 1);
      expect(await refusal(service.refresh(session.refresh_token))).toMatchObject({ status: 401 });
      const again = await login('ada@example.com', PASSWORD);
      account.is_active = false;
      expect(await refusal(service.refresh(again.refresh_token))).toMatchObject({ status: 401 });
    });
  });

  describe('forgot password', () => {
    it('answers the same whatever the e-mail, and mails a reset token after COMMIT only for a usable organization', async () => {
      repository.account({ email: 'ada@example.com' });
      repository.account({ email: 'ada@example.com', tenant_id: 'tenant_s', subdomain: 'sus', tenant_status: 'SUSPENDED' });
      expect(await service.forgotPassword({ email: 'nobody@example.com' }, undefined)).toEqual({ status: 'accepted' });
      expect(await service.forgotPassword({ email: 'ada@example.com' }, undefined)).toEqual({ status: 'accepted' });
      // Nothing is written before the answer, for a known e-mail as for an unknown one.
      expect(repository.resets).toEqual([]);
      expect(audit.record).not.toHaveBeenCalled();
      for (let i = 0; i < transaction.afterCommitTasks.length; i++) await transaction.afterCommitTasks[i]();
      expect(repository.resets).toEqual([expect.objectContaining({ tenantId: 'tenant_a', userId: 1 })]);
      expect(mail.send).toHaveBeenCalledTimes(1);
      const token = /fgp_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}/.exec(mail.send.mock.calls[0][0].text)![0];
      expect(hashOpaqueToken(token)).toBe(repository.resets[0].tokenHash);
      expect(tenantOfOpaqueToken('fgp', token)).toBe('tenant_a');
    });
  });
});
