import { createHash, randomBytes } from 'node:crypto';
import { assertTenantId } from '../database/tenant-transaction.adapter.js';

/**
 * Refresh and password-reset tokens: opaque to the client, `<kind>_<tenant>.<secret>`. The tenant
 * part lets the server open the right tenant's transaction (RLS stays on; no definer look-up), the
 * 256-bit secret is what authenticates; only the SHA-256 of the whole token is stored, so a forged
 * tenant part simply finds nothing.
 */
export type TokenKind = 'fgr' | 'fgp';

export interface IssuedOpaqueToken {
  token: string;
  hash: string;
}

export function issueOpaqueToken(kind: TokenKind, tenantId: string): IssuedOpaqueToken {
  const token = `${kind}_${Buffer.from(assertTenantId(tenantId)).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashOpaqueToken(token) };
}

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The tenant a token claims, or undefined when it is not shaped like one of ours. */
export function tenantOfOpaqueToken(kind: TokenKind, token: string): string | undefined {
  const match = new RegExp(`^${kind}_([A-Za-z0-9_-]{1,88})\\.[A-Za-z0-9_-]{43}$`).exec(token);
  if (!match) return undefined;
  const tenantId = Buffer.from(match[1], 'base64url').toString('utf8');
  return /^[A-Za-z0-9_-]{1,64}$/.test(tenantId) ? tenantId : undefined;
}
