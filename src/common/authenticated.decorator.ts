import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { Role, Scope } from './auth-context.js';

export const ACCESS_RULE = 'fraudguard:access';

/**
 * What a route requires. `role` applies to users (JWT); `scopes` to API keys. A route without
 * `scopes` that needs more than VIEWER is for people only: API keys are refused. `usersOnly` refuses
 * API keys also on a VIEWER route (routes about "me", the calling user). A Host subdomain alone
 * satisfies no rule: it names the tenant, it does not authenticate anyone.
 */
export interface AccessRule {
  public?: boolean;
  role?: Role;
  scopes?: Scope[];
  usersOnly?: boolean;
}

/** An open route: no caller identification is required. Everything else is deny-by-default. */
export const Public = () => SetMetadata(ACCESS_RULE, { public: true } satisfies AccessRule);

export const Authenticated = (rule: Omit<AccessRule, 'public'> = {}) =>
  applyDecorators(SetMetadata(ACCESS_RULE, { role: 'VIEWER', ...rule } satisfies AccessRule));
