import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { Role, Scope } from './auth-context.js';
import { ApiProblems, Problem, ProblemDoc } from './problem.schema.js';

export const ACCESS_RULE = 'fraudguard:access';

/** The names of the security schemes declared in the OpenAPI document (src/openapi.ts). */
export const API_KEY_SCHEME = 'api-key';
export const BEARER_SCHEME = 'bearer';

/** The operation extension that states a route's access rule in the OpenAPI document. */
export const ACCESS_EXTENSION = 'x-fraudguard-access';

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

/**
 * The problems TenantAuthGuard, AccessGuard and RateLimitGuard can answer on a route with this
 * rule: 401 for a missing or bad credential, 403 for the rule's own refusals (the scopes it
 * needs, the role it needs, or "people only"), a mismatched or suspended tenant, 429 when a rate
 * limit is exhausted.
 */
function accessProblems(rule: AccessRule): ProblemDoc[] {
  const keys = acceptsApiKeys(rule);
  return [
    Problem.noTenant(),
    ...(keys ? [Problem.invalidApiKey()] : []),
    Problem.invalidToken(),
    ...(keys && rule.scopes?.length ? [Problem.insufficientScope(rule.scopes)] : []),
    ...(keys ? [] : [Problem.userLoginRequired()]),
    ...(rule.role && rule.role !== 'VIEWER' ? [Problem.insufficientRole(rule.role)] : []),
    Problem.tenantMismatch(keys),
    Problem.tenantSuspended(),
    Problem.rateLimited(),
  ];
}

/** An open route: no caller identification is required. Everything else is deny-by-default. */
export const Public = () => SetMetadata(ACCESS_RULE, { public: true } satisfies AccessRule);

/**
 * Also documents the route: the schemes that can open it, the rule itself (role, scopes) and the
 * 401/403/429 problems its guards answer.
 */
export const Authenticated = (rule: Omit<AccessRule, 'public' | 'operator'> = {}) => {
  const full: AccessRule = { role: 'VIEWER', ...rule };
  const keys = acceptsApiKeys(full);
  return applyDecorators(
    SetMetadata(ACCESS_RULE, full),
    ...(keys ? [ApiSecurity(API_KEY_SCHEME)] : []),
    ApiBearerAuth(BEARER_SCHEME),
    ApiExtension(ACCESS_EXTENSION, { role: full.role, scopes: keys ? (full.scopes ?? []) : [], api_keys: keys }),
    ApiProblems(...accessProblems(full)),
  );
};
