/**
 * Keys whose values never reach the audit trail (nor logs): secrets, password hashes, key hashes,
 * tokens. Matching is on the key name, case-insensitive, at any depth, so `{ user: { password } }`
 * and `new_password` are caught too.
 */
const SECRET_WORDS = ['password', 'passwd', 'secret', 'token', 'apikey', 'keyhash', 'privatekey', 'authorization', 'cookie', 'credential'];
export const REDACTED = '[REDACTED]';

export function isSecretKey(key: string): boolean {
  const normalised = key.toLowerCase().replace(/[^a-z]/g, '');
  return SECRET_WORDS.some((word) => normalised.includes(word));
}

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined || typeof value !== 'object') return value;
  if (depth > 20) return REDACTED;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] = isSecretKey(key) && item !== null && item !== undefined ? REDACTED : redactSecrets(item, depth + 1);
  }
  return out;
}
