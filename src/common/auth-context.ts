import type { TenantTransaction } from '../database/tenant-transaction.js';

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

/** Who is calling, decided by the guards before any tenant data is touched. */
export interface AuthContext {
  tenantId: string;
  via: 'api_key' | 'jwt' | 'subdomain';
  userId?: number;
  role?: Role;
  apiKeyId?: number;
  apiKeyPrefix?: string;
  scopes?: readonly string[];
  rateLimitPerMinute?: number;
  /** The tenant's plan, for its rate-limit ceiling. */
  plan?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
    tenantTx?: TenantTransaction;
  }
}
