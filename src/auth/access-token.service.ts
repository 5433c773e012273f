import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { ROLES, Role } from '../common/auth-context.js';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config.js';

export interface AccessClaims {
  sub: string;
  tenant_id: string;
  role: Role;
}

export interface VerifiedAccessToken {
  userId: number;
  tenantId: string;
  role: Role;
}

/**
 * Access tokens: HS256, `iss`, `aud` and `exp` always present, lifetime ≤ 15 minutes; verified by
 * JwtStrategy with HS256 pinned. The secret is turned into a KeyObject once (DESIGN.md speed habit:
 * a string secret is re-imported on every verify).
 */
@Injectable()
export class AccessTokenService {
  private readonly logger = new Logger('AccessToken');
  readonly key: KeyObject;
  private readonly jwt: JwtService;

  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {
    let secret = config.jwtSecret;
    if (!secret) {
      secret = randomBytes(48).toString('base64url');
      this.logger.warn('JWT_SECRET is not set: using a random secret for this process (tokens die with it; set JWT_SECRET, required in production)');
    }
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
    this.jwt = new JwtService({ secret: this.key });
  }

  get issuer(): string {
    return this.config.jwtIssuer;
  }

  get audience(): string {
    return this.config.jwtAudience;
  }

  get ttlSeconds(): number {
    return this.config.jwtAccessTtlSeconds;
  }

  sign(claims: AccessClaims): string {
    return this.jwt.sign(claims, {
      algorithm: 'HS256',
      issuer: this.config.jwtIssuer,
      audience: this.config.jwtAudience,
      expiresIn: this.config.jwtAccessTtlSeconds,
    });
  }

  /**
   * The claims of a token whose signature, issuer, audience and expiry were checked, or undefined
   * when they are not ours: jsonwebtoken accepts a token without exp, and any claims a token signed
   * by the same secret happens to carry.
   */
  static claimsOf(payload: Record<string, unknown>): VerifiedAccessToken | undefined {
    const { sub, tenant_id, role, exp } = payload;
    if (typeof exp !== 'number') return undefined;
    if (typeof sub !== 'string' || !/^[1-9][0-9]{0,9}$/.test(sub)) return undefined;
    if (typeof tenant_id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(tenant_id)) return undefined;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return undefined;
    return { userId: Number(sub), tenantId: tenant_id, role: role as Role };
  }
}
