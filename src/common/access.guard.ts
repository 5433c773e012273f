import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { roleAtLeast } from './auth-context.js';
import { noTenantProblem, ProblemException } from './problem.js';
import { accessRule } from './tenant-auth.guard.js';

/**
 * After identification: people are checked against the route's minimum role
 * (ADMIN > MANAGER > ANALYST > VIEWER), API keys against its scopes; a caller known only by the
 * Host subdomain is not authenticated at all. The permission matrix in README.md is what
 * these rules produce, and test/http/permission-matrix.e2e-spec.ts holds them to it.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const rule = accessRule(this.reflector, context);
    if (!rule || rule.public || rule.operator) return true;
    const auth = context.switchToHttp().getRequest<FastifyRequest>().auth;
    if (!auth) throw noTenantProblem();

    if (auth.via === 'subdomain') {
      throw new ProblemException(401, 'authentication-required', 'Authentication required',
        'The host names the tenant but proves nothing about the caller: log in or send an API key', {}, { 'www-authenticate': 'ApiKey, Bearer' });
    }
    if (auth.via === 'api_key') {
      const required = rule.scopes ?? [];
      if (rule.usersOnly) {
        throw new ProblemException(403, 'forbidden', 'Forbidden', 'This route requires a user login, not an API key');
      }
      if (!rule.scopes && rule.role && rule.role !== 'VIEWER') {
        throw new ProblemException(403, 'forbidden', 'Forbidden', 'This route requires a user login, not an API key');
      }
      const missing = required.filter((scope) => !auth.scopes?.includes(scope));
      if (missing.length) {
        throw new ProblemException(403, 'insufficient-scope', 'Insufficient scope', `The API key lacks the scope ${missing.join(', ')}`, {
          missing_scopes: missing,
        });
      }
      return true;
    }
    const required = rule.role ?? 'VIEWER';
    if (!auth.role || !roleAtLeast(auth.role, required)) {
      throw new ProblemException(403, 'insufficient-role', 'Insufficient role', `This route requires the ${required} role or higher`);
    }
    return true;
  }
}
