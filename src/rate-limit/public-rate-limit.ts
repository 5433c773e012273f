import { applyDecorators, SetMetadata } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ConfigType } from '@nestjs/config';
import { ApiProblems, Problem } from '../common/problem.schema.js';
import type { rateLimitConfig } from '../config/rate-limit.config.js';
import type { Bucket } from './rate-limit.store.js';

export const PUBLIC_RATE_LIMIT = 'fraudguard:public-rate-limit';

/**
 * What a public route's requests are counted against: `auth` (refresh, logout, reset) per client IP;
 * `login` also per e-mail; `password-reset` also per e-mail, per hour (each request may send a mail);
 * `signup` per client IP, admin e-mail and subdomain, per hour.
 */
export type PublicLimit = 'auth' | 'login' | 'password-reset' | 'signup';

/** Bounds an open route's requests (RateLimitGuard): no anonymous caller buys unbounded argon2 work, mails or tenants. */
export const PublicRateLimit = (limit: PublicLimit) => applyDecorators(SetMetadata(PUBLIC_RATE_LIMIT, limit), ApiProblems(Problem.publicRateLimited()));

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A bucket per target (an e-mail, a subdomain) is named by a hash: counters never hold addresses. */
function target(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const normalized = value.trim().toLowerCase();
  if (normalized === '' || normalized.length > 320) return undefined;
  return createHash('sha256').update(normalized).digest('base64url').slice(0, 22);
}

/** A bucket with what auditing its refusal needs: whose target it counts. */
export interface PublicBucket extends Bucket {
  /** The e-mail or subdomain it counts, as given (never stored in the counter's name). */
  target?: { kind: 'email' | 'subdomain'; value: string };
}

type Limits = ConfigType<typeof rateLimitConfig>['publicLimits'];

/** The buckets one request to a `kind` route hits; `body` is the parsed, not yet validated body. */
export function publicBuckets(kind: PublicLimit, ip: string, body: unknown, limits: Limits): PublicBucket[] {
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const email = target(fields.email);
  if (kind === 'signup') {
    const adminEmail = target(fields.admin_email);
    const subdomain = target(fields.subdomain);
    return [
      { name: `ip:signup:${ip}`, limit: limits.signupPerIp, windowMs: HOUR },
      ...(adminEmail ? [{ name: `email:signup:${adminEmail}`, limit: limits.signupPerTarget, windowMs: HOUR, target: { kind: 'email' as const, value: String(fields.admin_email) } }] : []),
      ...(subdomain ? [{ name: `subdomain:signup:${subdomain}`, limit: limits.signupPerTarget, windowMs: HOUR, target: { kind: 'subdomain' as const, value: String(fields.subdomain) } }] : []),
    ];
  }
  const buckets: PublicBucket[] = [{ name: `ip:auth:${ip}`, limit: limits.authPerIp, windowMs: MINUTE }];
  if (kind === 'login' && email) {
    buckets.push({ name: `email:login:${email}`, limit: limits.loginPerEmail, windowMs: MINUTE, target: { kind: 'email', value: String(fields.email) } });
  }
  if (kind === 'password-reset' && email) {
    buckets.push({ name: `email:reset:${email}`, limit: limits.passwordResetPerEmail, windowMs: HOUR, target: { kind: 'email', value: String(fields.email) } });
  }
  return buckets;
}
