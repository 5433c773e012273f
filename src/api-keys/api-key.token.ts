import type { Scope } from '../common/auth-context.js';
import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'fgk_live_';
const API_KEY_FORMAT = /^fgk_live_[A-Za-z0-9_-]{43}$/;

export interface IssuedApiKey {
  key: string;
  hash: string;
  prefix: string;
}

/** `fgk_live_` + token_urlsafe(32), as the seed; only its SHA-256 and a display prefix are stored. */
export function generateApiKey(): IssuedApiKey {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 16) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function isWellFormedApiKey(key: string): boolean {
  return API_KEY_FORMAT.test(key);
}

/**
 * What a tenant's first key gets (signup's key, the demo key) and the CLI's default: the whole
 * integrator flow — accounts, transactions, alerts and their resolution, the audit trail.
 */
export const INTEGRATOR_KEY_SCOPES = [
  'read:transactions',
  'write:transactions',
  'read:accounts',
  'write:accounts',
  'read:alerts',
  'write:alerts',
  'read:audit',
] as const satisfies readonly Scope[];
