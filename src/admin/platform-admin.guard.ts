import { applyDecorators, CanActivate, ExecutionContext, Inject, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ACCESS_RULE, AccessRule } from '../common/authenticated.decorator.js';
import { ProblemException } from '../common/problem.js';
import { ApiProblems, Problem } from '../common/problem.schema.js';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config.js';
import { NoTransaction } from '../database/tenant-context.interceptor.js';
import { ADMIN_TOKEN_SCHEME } from '../openapi.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function tokensMatch(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Platform operators are not tenant users: they present PLATFORM_ADMIN_TOKEN in X-Admin-Token.
 * Tenant credentials (API keys, JWTs) never open these routes. With no token configured, the
 * routes do not exist as far as any caller can tell (404).
 */
@Injectable()
export class PlatformAdminGuard implements CanActivate {
  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const expected = this.config.platformAdminToken;
    if (!expected) throw new ProblemException(404, 'not-found', 'Not Found', `Route ${request.method}:${request.url.split('?')[0]} not found`);
    const given = request.headers['x-admin-token'];
    if (typeof given !== 'string' || given.length === 0 || !tokensMatch(given, expected)) {
      throw new ProblemException(401, 'invalid-admin-token', 'Unauthorized', 'A valid X-Admin-Token is required', {}, { 'www-authenticate': 'AdminToken' });
    }
    return true;
  }
}

/** An operators' route: no tenant identification, no tenant transaction, the admin token instead. */
export const OperatorOnly = () =>
  applyDecorators(
    SetMetadata(ACCESS_RULE, { operator: true } satisfies AccessRule),
    NoTransaction(),
    UseGuards(PlatformAdminGuard),
    ApiSecurity(ADMIN_TOKEN_SCHEME),
    ApiProblems(Problem.invalidAdminToken()),
  );
