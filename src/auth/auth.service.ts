import { Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { AuditWriter } from '../audit/audit.writer.js';
import type { Role } from '../common/auth-context.js';
import { ProblemException } from '../common/problem.js';
import { assertTenantUsable } from '../common/tenant-status.js';
import { authConfig } from '../config/auth.config.js';
import { CurrentTransaction } from '../database/current-transaction.js';
import type { TenantTransactionAdapter } from '../database/tenant-transaction.adapter.js';
import { MailService } from '../mail/mail.service.js';
import { AccessTokenService } from './access-token.service.js';
import { type ForgotPasswordDto, type LoginDto, type LoginView, loginUserView, type ResetPasswordDto, type TokenPair } from './auth.dto.js';
import { type AccountOfEmail, AuthRepository, type LoginCandidate } from './auth.repository.js';
import { UnknownEmailThrottle } from './login-throttle.js';
import { hashOpaqueToken, issueOpaqueToken, tenantOfOpaqueToken } from './opaque-token.js';
import { PasswordHasher } from './password.hasher.js';
import { SubdomainResolver } from './subdomain.resolver.js';

const invalidCredentials = () =>
  new ProblemException(401, 'invalid-credentials', 'Invalid credentials', 'The e-mail or the password is wrong', {}, { 'www-authenticate': 'Bearer' });

const invalidRefreshToken = (detail = 'The refresh token is invalid, expired or revoked') =>
  new ProblemException(401, 'invalid-refresh-token', 'Invalid refresh token', detail);

/** Which organization is not said: the caller may not own the other accounts with this e-mail. */
const organizationRequired = () =>
  new ProblemException(400, 'tenant-required', 'Organization required',
    "This e-mail may belong to several organizations: send the organization's subdomain with the login (or use its host)");

function lockedOut(until: number): ProblemException {
  const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
  return new ProblemException(
    429,
    'login-locked',
    'Too many failed logins',
    `Too many failed logins for this account; try again in ${seconds} seconds`,
    {},
    { 'retry-after': String(seconds) },
  );
}

/**
 * Login, token refresh and rotation, logout, password reset: public flows, so no caller; each learns
 * its tenant inside the transaction (CurrentTransaction.setTenant). Failed logins of a real account
 * and of an unknown e-mail look the same from outside: same status and body, one argon2 verification
 * each (against a dummy hash when there is no account), same slow-down and lockout thresholds.
 * Requests per client IP and per e-mail are bounded before any of this runs (PublicRateLimit).
 */
@Injectable()
export class AuthService {
  constructor(
    private readonly auth: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: AccessTokenService,
    private readonly subdomains: SubdomainResolver,
    private readonly unknownEmails: UnknownEmailThrottle,
    private readonly audit: AuditWriter,
    private readonly mail: MailService,
    private readonly transaction: CurrentTransaction,
    private readonly txHost: TransactionHost<TenantTransactionAdapter>,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /**
   * The tenant hint: the body's subdomain, else the one the request's host name names (`host`, as
   * the client sent it); both given and different → 403.
   */
  private subdomainHint(given: string | undefined, host: string | undefined): string | undefined {
    const fromHost = this.subdomains.subdomainOfHost(host);
    if (given && fromHost && given !== fromHost) {
      throw new ProblemException(403, 'tenant-mismatch', 'Tenant mismatch', 'The subdomain in the body and the host name different organizations');
    }
    return given ?? fromHost;
  }

  /** Delays the failed answer; the wait happens after the transaction's connection is back in the pool. */
  private slowDown(consecutiveFailures: number): void {
    const steps = consecutiveFailures - this.config.loginSlowdownAfter + 1;
    if (steps > 0 && this.config.loginSlowdownMs > 0) this.transaction.delayErrorAnswer(Math.min(steps * this.config.loginSlowdownMs, 10_000));
  }

  /**
   * `host` is the request's host name: on a tenant's subdomain it is the tenant hint. The answer is a
   * LoginView. Exactly one argon2 verification per request, whatever the e-mail: against the one
   * account fg_login_lookup answers (the hinted organization's, else the first account made with the
   * e-mail), or a dummy hash. Without a hint, an e-mail several organizations use gets "organization
   * required" unless the password opens that first account (docs/identity.md argues the design).
   */
  async login(dto: LoginDto, host: string | undefined): Promise<LoginView> {
    const hint = this.subdomainHint(dto.subdomain, host);
    const candidate = await this.auth.loginCandidate(dto.email, hint);
    if (!candidate) return this.failUnknownEmail(dto);
    const ambiguous = hint === undefined && candidate.accounts > 1;
    const lockedUntil = candidate.locked_until ? new Date(candidate.locked_until).getTime() : 0;
    if (lockedUntil > Date.now()) {
      await this.hasher.verify(undefined, dto.password); // refused whatever the password, after the same work
      throw ambiguous ? organizationRequired() : lockedOut(lockedUntil);
    }
    if (await this.hasher.verify(candidate.password_hash, dto.password)) return this.completeLogin(candidate, dto.password);
    return this.failWrongPassword(candidate, ambiguous);
  }

  /** Costs the same argon2 work as a wrong password, and counts towards the same lockout, in process. */
  private async failUnknownEmail(dto: LoginDto): Promise<never> {
    await this.hasher.verify(undefined, dto.password);
    const locked = this.unknownEmails.lockedUntil(dto.email);
    if (locked) throw lockedOut(locked);
    this.slowDown(this.unknownEmails.fail(dto.email));
    throw invalidCredentials();
  }

  /**
   * Counts the failure on the account whose password was checked; the count outlives the answer.
   * When other organizations share the e-mail and no hint was given, the password may be meant for
   * one of them: the answer asks for the organization instead of saying it is wrong.
   */
  private async failWrongPassword(candidate: LoginCandidate, ambiguous: boolean): Promise<never> {
    await this.transaction.setTenant(candidate.tenant_id);
    const state = await this.auth.recordLoginFailure(candidate.tenant_id, candidate.user_id, this.config.loginMaxFailures, this.config.loginLockSeconds);
    await this.audit.record(undefined, { action: state.locked_now ? 'auth.locked' : 'auth.login_failed', resourceType: 'user',
      resourceId: candidate.user_id, userId: candidate.user_id, severity: 'WARNING' });
    this.transaction.commitDespiteError();
    this.slowDown(state.failed_login_count);
    throw ambiguous ? organizationRequired() : invalidCredentials();
  }

  private async completeLogin(candidate: LoginCandidate, password: string): Promise<LoginView> {
    assertTenantUsable(candidate.tenant_status, candidate.trial_ends_at);
    await this.transaction.setTenant(candidate.tenant_id);
    const rehash = this.hasher.needsRehash(candidate.password_hash) ? await this.hasher.hash(password) : null;
    const user = await this.auth.recordLogin(candidate.tenant_id, candidate.user_id, rehash);
    if (!user) throw invalidCredentials(); // deactivated between the look-up and now
    await this.audit.record(undefined, { action: 'auth.login', resourceType: 'user', resourceId: user.id, userId: user.id,
      newValue: rehash ? { password_rehashed: true } : undefined });
    return { ...(await this.issueTokens(user.tenantId, user.id, user.role, randomUUID())), user: loginUserView(user) } satisfies LoginView;
  }

  private async issueTokens(tenantId: string, userId: number, role: Role, familyId: string): Promise<TokenPair> {
    const refresh = issueOpaqueToken('fgr', tenantId);
    await this.auth.insertRefreshToken(tenantId, userId, familyId, refresh.hash, this.config.refreshTokenTtlSeconds);
    return {
      access_token: this.tokens.sign({ sub: String(userId), tenant_id: tenantId, role }),
      token_type: 'Bearer',
      expires_in: this.tokens.ttlSeconds,
      refresh_token: refresh.token,
      refresh_expires_in: this.config.refreshTokenTtlSeconds,
    };
  }

  /** Rotation: the presented token is spent and a new one of the same family issued. A spent one presented again revokes the family. */
  async refresh(token: string): Promise<TokenPair> {
    const tenantId = tenantOfOpaqueToken('fgr', token);
    if (!tenantId) throw invalidRefreshToken();
    await this.transaction.setTenant(tenantId);
    const found = await this.auth.findRefreshTokenForUpdate(tenantId, hashOpaqueToken(token));
    if (!found || found.token.revokedAt) throw invalidRefreshToken();
    const { token: row, user, tenant } = found;
    if (row.usedAt) {
      // Someone holds a copy of a rotated token: end every session of this family, and keep that despite the 401.
      await this.auth.revokeRefreshFamily(tenantId, row.familyId);
      await this.audit.record(undefined, { action: 'auth.refresh_token_reused', resourceType: 'user', resourceId: row.userId, userId: row.userId,
        severity: 'CRITICAL', newValue: { family_id: row.familyId } });
      this.transaction.commitDespiteError();
      throw invalidRefreshToken('The refresh token was already used; every token of its session is now revoked');
    }
    if (row.expiresAt.getTime() <= Date.now()) throw invalidRefreshToken();
    if (!user.isActive) throw invalidRefreshToken('The user is no longer active');
    assertTenantUsable(tenant.status, tenant.trialEndsAt);
    await this.auth.markRefreshTokenUsed(tenantId, row.id);
    return this.issueTokens(tenantId, row.userId, user.role, row.familyId);
  }

  /** Ends the session the refresh token belongs to. Unknown tokens are not an error (logout is idempotent). */
  async logout(token: string): Promise<void> {
    const tenantId = tenantOfOpaqueToken('fgr', token);
    if (!tenantId) return;
    await this.transaction.setTenant(tenantId);
    const found = await this.auth.findRefreshTokenForUpdate(tenantId, hashOpaqueToken(token));
    if (!found) return;
    await this.auth.revokeRefreshFamily(tenantId, found.token.familyId);
    await this.audit.record(undefined, { action: 'auth.logout', resourceType: 'user', resourceId: found.token.userId, userId: found.token.userId });
  }

  /**
   * Always the same answer after the same work (one look-up), whether or not the e-mail has an
   * account: the reset tokens, their audit rows and the mails are made after the answer, each
   * account in a transaction of its own under its tenant. A mail goes out only for an active account
   * of a usable organization. `host` as for login.
   */
  async forgotPassword(dto: ForgotPasswordDto, host: string | undefined): Promise<{ status: string }> {
    const hint = this.subdomainHint(dto.subdomain, host);
    const accounts = await this.auth.accountsOfEmail(dto.email, hint);
    this.transaction.afterCommit(async () => {
      for (const account of accounts) {
        try {
          assertTenantUsable(account.tenant_status, account.trial_ends_at);
        } catch {
          continue;
        }
        await this.txHost.withTransaction(Propagation.RequiresNew, { tenantId: account.tenant_id }, () => this.issuePasswordReset(dto.email, account));
      }
    });
    return { status: 'accepted' };
  }

  /** In the current transaction: the account's new reset token (voiding earlier ones), its audit row, its mail after COMMIT. */
  private async issuePasswordReset(email: string, account: AccountOfEmail): Promise<void> {
    const reset = issueOpaqueToken('fgp', account.tenant_id);
    await this.auth.insertPasswordReset(account.tenant_id, account.user_id, reset.hash, this.config.passwordResetTtlSeconds);
    await this.audit.record(undefined, { action: 'auth.password_reset_requested', resourceType: 'user', resourceId: account.user_id, userId: account.user_id });
    const minutes = Math.round(this.config.passwordResetTtlSeconds / 60);
    this.transaction.afterCommit(() =>
      this.mail.send({
        to: email,
        subject: 'Reset your FraudGuard password',
        text:
          `Someone asked to reset the password of your FraudGuard account at ${account.subdomain}.${this.config.tenantBaseDomain}.\n\n` +
          `Reset token (valid ${minutes} minutes, usable once):\n\n  ${reset.token}\n\n` +
          `Send it with your new password to POST /api/v1/auth/reset-password {"token": "...", "new_password": "..."}.\n` +
          `If you did not ask for this, ignore this message: your password stays as it is.\n`,
      }),
    );
  }

  async resetPassword(dto: ResetPasswordDto): Promise<void> {
    const tenantId = tenantOfOpaqueToken('fgp', dto.token);
    const invalid = () => new ProblemException(400, 'invalid-reset-token', 'Invalid reset token', 'The reset token is invalid, expired or already used');
    if (!tenantId) throw invalid();
    await this.transaction.setTenant(tenantId);
    const userId = await this.auth.consumePasswordReset(tenantId, hashOpaqueToken(dto.token));
    if (!userId) throw invalid();
    await this.auth.setPassword(tenantId, userId, await this.hasher.hash(dto.new_password));
    await this.auth.revokeCredentialsOfUser(tenantId, userId);
    await this.audit.record(undefined, { action: 'auth.password_reset', resourceType: 'user', resourceId: userId, userId, severity: 'WARNING' });
  }
}
