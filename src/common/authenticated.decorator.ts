import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { Role, Scope } from './auth-context.js';
import { ApiProblems } from './problem.schema.js';

export const ACCESS_RULE = 'fraudguard:access';

/** The names of the security schemes declared in the OpenAPI document (src/openapi.ts). */
export const API_KEY_SCHEME = 'api-key';
export const BEARER_SCHEME = 'bearer';

/**
 * What a route requires. `role` applies to users (JWT); `scopes` to API keys. A route without
 * `scopes` that needs more than VIEWER is for people only: API keys are refused. `usersOnly` refuses
 * API keys also on a VIEWER route (routes about "me", the calling user). A Host subdomain alone
 * satisfies no rule: it names the tenant, it does not authenticate anyone. `operator` routes belong
 * to the platform operators (src/admin): no tenant credential opens them.
 */
export interface AccessRule {
  public?: boolean;
  operator?: boolean;
  role?: Role;
  scopes?: Scope[];
  usersOnly?: boolean;
}

/** Whether an API key can ever satisfy the rule (AccessGuard's own logic, for the documentation). */
export function acceptsApiKeys(rule: AccessRule): boolean {
  return !rule.usersOnly && (!!rule.scopes || !rule.role || rule.role === 'VIEWER');
}

/** An open route: no caller identification is required. Everything else is deny-by-default. */
export const Public = () => SetMetadata(ACCESS_RULE, { public: true } satisfies AccessRule);

/** Also documents the route: the schemes that can open it and its 401/403 problem responses. */
export const Authenticated = (rule: Omit<AccessRule, 'public' | 'operator'> = {}) => {
  const full: AccessRule = { role: 'VIEWER', ...rule };
  return applyDecorators(
    SetMetadata(ACCESS_RULE, full),
    ...(acceptsApiKeys(full) ? [ApiSecurity(API_KEY_SCHEME)] : []),
    ApiBearerAuth(BEARER_SCHEME),
    ApiProblems(401, 403),
  );
};
