import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport-jwt';
import type { AuthContext, Role } from '../common/auth-context.js';
import { ProblemException } from '../common/problem.js';
import { assertTenantUsable } from '../common/tenant-status.js';
import { AccessTokenService } from './access-token.service.js';
import { UserPrincipals } from './user-principals.js';

export function invalidToken(detail: string): ProblemException {
  return new ProblemException(401, 'invalid-token', 'Invalid token', detail, {}, { 'www-authenticate': 'Bearer error="invalid_token"' });
}

/** `Authorization: Bearer <token>`; any other scheme is not ours and is ignored. */
export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+(\S*)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

/**
 * Bearer JWT → AuthContext (passport-jwt). The signature is checked with HS256 pinned (so `alg:
 * none` and RS/HS confusion are refused), `iss`, `aud` and `exp` required, the secret a KeyObject
 * made once. A valid signature is not enough: the user must still exist and be active and the
 * tenant usable (UserPrincipals); the role used for access decisions is the current one from the
 * database, not the token's claim.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    tokens: AccessTokenService,
    private readonly principals: UserPrincipals,
  ) {
    super({
      jwtFromRequest: (request: IncomingMessage) => bearerToken(request) || null,
      // jsonwebtoken 9 verifies with a KeyObject; passport-jwt's typings predate that and say string | Buffer.
      secretOrKey: tokens.key as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: tokens.issuer,
      audience: tokens.audience,
    });
  }

  async validate(payload: Record<string, unknown>): Promise<AuthContext | false> {
    const claims = AccessTokenService.claimsOf(payload);
    if (!claims) return false;
    const principal = await this.principals.find(claims.tenantId, claims.userId);
    if (!principal || !principal.is_active) throw invalidToken('The user of this token is no longer active');
    assertTenantUsable(principal.tenant_status, principal.trial_ends_at);
    return { tenantId: claims.tenantId, via: 'jwt', userId: claims.userId, role: principal.role as Role, plan: principal.plan };
  }
}
