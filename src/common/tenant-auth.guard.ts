import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuthenticator } from '../api-keys/api-key.authenticator.js';
import { ACCESS_RULE, AccessRule } from './authenticated.decorator.js';
import { ProblemException } from './problem.js';

export function accessRule(reflector: Reflector, context: ExecutionContext): AccessRule | undefined {
  return reflector.getAllAndOverride<AccessRule>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
}

/**
 * Identifies the caller before any tenant data is touched: X-API-Key, then Bearer JWT, then the
 * Host subdomain (the seed's order). Deny by default: a route with no @Public() / @Authenticated()
 * is refused, so forgetting the decorator can never open a route.
 */
@Injectable()
export class TenantAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = accessRule(this.reflector, context);
    if (!rule) throw new ProblemException(403, 'forbidden', 'Forbidden', 'This route is not open to any caller');
    // Operators' routes are guarded by the admin token (src/admin), never by tenant credentials.
    if (rule.public || rule.operator) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.length > 0) {
      request.auth = await this.apiKeys.authenticate(apiKey);
      return true;
    }
    throw new ProblemException(401, 'no-tenant', 'Unauthorized', 'No tenant identified', {}, { 'www-authenticate': 'ApiKey, Bearer' });
  }
}
