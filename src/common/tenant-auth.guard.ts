import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { invalidApiKey } from '../api-keys/api-key.authenticator.js';
import { ApiKeyStrategy } from '../api-keys/api-key.strategy.js';
import { bearerToken, invalidToken, JwtStrategy } from '../auth/jwt.strategy.js';
import { authenticateWith } from '../auth/passport-authenticate.js';
import { SubdomainResolver } from '../auth/subdomain.resolver.js';
import type { AuthContext } from './auth-context.js';
import { ACCESS_RULE, AccessRule } from './authenticated.decorator.js';
import { noTenantProblem, ProblemException } from './problem.js';
import { assertTenantUsable } from './tenant-status.js';

export function accessRule(reflector: Reflector, context: ExecutionContext): AccessRule | undefined {
  return reflector.getAllAndOverride<AccessRule>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
}

function tenantMismatch(detail: string): ProblemException {
  return new ProblemException(403, 'tenant-mismatch', 'Tenant mismatch', detail);
}

/**
 * Identifies the caller before any tenant data is touched: X-API-Key (ApiKeyStrategy), then Bearer
 * JWT (JwtStrategy), then the Host subdomain (the seed's order). Every credential presented must be valid, and all of them must
 * name the same tenant (else 403). A subdomain alone identifies the tenant but grants no role
 * (AccessGuard answers 401 for it). Deny by default: a route with no @Public() / @Authenticated()
 * is refused, so forgetting the decorator can never open a route. Public routes are not identified
 * here: their services read the credentials or the Host hint they need themselves.
 */
@Injectable()
export class TenantAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyStrategy,
    private readonly jwt: JwtStrategy,
    private readonly subdomains: SubdomainResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = accessRule(this.reflector, context);
    if (!rule) throw new ProblemException(403, 'forbidden', 'Forbidden', 'This route is not open to any caller');
    // Operators' routes are guarded by the admin token (src/admin), never by tenant credentials.
    if (rule.public || rule.operator) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    let auth: AuthContext | undefined;

    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.length > 0) {
      auth = (await authenticateWith<AuthContext>(this.apiKeys, request.raw)).user;
      if (!auth) throw invalidApiKey('The API key is not valid');
    }

    if (bearerToken(request.raw) !== undefined) {
      const byToken = (await authenticateWith<AuthContext>(this.jwt, request.raw)).user;
      if (!byToken) throw invalidToken('The access token is invalid or expired');
      if (auth && auth.tenantId !== byToken.tenantId) throw tenantMismatch('The API key and the access token belong to different tenants');
      auth ??= byToken;
    }

    const subdomain = this.subdomains.subdomainOf(request);
    if (subdomain !== undefined) {
      const tenant = await this.subdomains.resolve(subdomain);
      if (auth) {
        if (tenant?.tenant_id !== auth.tenantId) throw tenantMismatch(`The host ${request.hostname} belongs to another tenant than the credentials`);
      } else if (tenant) {
        assertTenantUsable(tenant.status, tenant.trial_ends_at);
        auth = { tenantId: tenant.tenant_id, via: 'subdomain' };
      }
    }

    if (!auth) throw noTenantProblem();
    request.auth = auth;
    return true;
  }
}
