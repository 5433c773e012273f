import { Inject, Injectable } from '@nestjs/common';
import type { AuthContext, Role } from '../common/auth-context.js';
import { ProblemException } from '../common/problem.js';
import { assertTenantUsable } from '../common/tenant-status.js';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config.js';
import { AuthChangeListener } from '../database/auth-change-listener.js';
import { NotifiedCache } from '../database/notified-cache.js';
import { AccessTokenService } from './access-token.service.js';
import { AuthLookupRepository, Principal } from './auth-lookup.repository.js';

export function invalidToken(detail: string): ProblemException {
  return new ProblemException(401, 'invalid-token', 'Invalid token', detail, {}, { 'www-authenticate': 'Bearer error="invalid_token"' });
}

/**
 * Bearer JWT → AuthContext. A valid signature is not enough: the user must still exist and be
 * active and the tenant usable, checked on every request against the database through a cached
 * definer look-up. The cache entry is dropped by NOTIFY when the user's role or is_active changes
 * or the tenant's status does, so a deactivated user or suspended tenant is refused at once. The
 * role used for access decisions is the current one from the database, not the token's claim.
 */
@Injectable()
export class JwtAuthenticator {
  private readonly principals: NotifiedCache<Principal & { tenant_id: string }>;

  constructor(
    private readonly tokens: AccessTokenService,
    private readonly lookup: AuthLookupRepository,
    listener: AuthChangeListener,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    this.principals = new NotifiedCache(listener, config.apiKeyCacheTtlMs, (payload, key, value) =>
      payload === `user:${key}` || payload === `tenant:${value.tenant_id}`,
    );
  }

  /** After changing a user's role or is_active: this instance must not answer from the old entry. */
  forgetUser(tenantId: string, userId: number): void {
    this.principals.forget(`${tenantId}:${userId}`);
  }

  async authenticate(token: string): Promise<AuthContext> {
    const claims = this.tokens.verify(token);
    if (!claims) throw invalidToken('The access token is invalid or expired');
    const principal = await this.principals.get(`${claims.tenantId}:${claims.userId}`, async () => {
      const found = await this.lookup.principal(claims.tenantId, claims.userId);
      return found && { ...found, tenant_id: claims.tenantId };
    });
    if (!principal || !principal.is_active) throw invalidToken('The user of this token is no longer active');
    assertTenantUsable(principal.tenant_status, principal.trial_ends_at);
    return { tenantId: claims.tenantId, via: 'jwt', userId: claims.userId, role: principal.role as Role, plan: principal.plan };
  }
}
