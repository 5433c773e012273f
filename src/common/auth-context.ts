
export const ROLES = ['VIEWER', 'ANALYST', 'MANAGER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** ADMIN > MANAGER > ANALYST > VIEWER: a role satisfies every requirement at or below its rank. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

export const SCOPES = [
  'read:transactions',
  'write:transactions',
  'read:alerts',
  'write:alerts',
  'read:accounts',
  'write:accounts',
  // Pull the audit trail into a SIEM with an API key; people need MANAGER for the same routes.
  'read:audit',
] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * A platform operator acting inside one tenant outside any HTTP request (the CLI, start-up tasks):
 * what the audit rows record in place of a request's origin.
 */
export interface OperatorOrigin {
  /** new_value.actor of the audit rows, e.g. `{ operator: 'cli', os_user: 'ops' }`. */
  actor: Record<string, unknown>;
  userAgent: string;
  requestId: string;
}

/**
 * Who is calling, decided by the guards before any tenant data is touched — or, for `operator`,
 * by the operators' tooling, which never arrives over HTTP.
 */
export interface AuthContext {
  tenantId: string;
  via: 'api_key' | 'jwt' | 'subdomain' | 'operator';
  userId?: number;
  role?: Role;
  apiKeyId?: number;
  apiKeyPrefix?: string;
  scopes?: readonly string[];
  rateLimitPerMinute?: number;
  /** The tenant's plan, for its rate-limit ceiling. */
  plan?: string;
  /** Set when `via` is `operator`. */
  operator?: OperatorOrigin;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}
