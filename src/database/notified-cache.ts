import type { AuthChangeListener } from './auth-change-listener.js';

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A small in-process cache for look-ups made before a tenant is known (JWT principal, subdomain).
 * Entries live `ttlMs` at most, are dropped the moment the database announces a change
 * (`fraudguard_auth` NOTIFY, see migrations 0004 and 0010) and are not used at all while that
 * announcement channel is down — the same contract as the API-key cache.
 */
export class NotifiedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly listener: AuthChangeListener,
    private readonly ttlMs: number,
    /** Which entries a notification payload makes stale. */
    private readonly isStale: (payload: string, key: string, value: V) => boolean,
    private readonly maxEntries = 50_000,
  ) {
    listener.onChange((payload) => {
      if (payload === '*') return this.entries.clear();
      for (const [key, entry] of this.entries) if (this.isStale(payload, key, entry.value)) this.entries.delete(key);
    });
  }

  /** Drops an entry on this instance now (the NOTIFY does it everywhere, asynchronously). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const now = Date.now();
    const usable = this.listener.live && this.ttlMs > 0;
    if (usable) {
      const hit = this.entries.get(key);
      if (hit && hit.expiresAt > now) return hit.value;
    }
    const value = await load();
    // Misses are not cached: a tenant or user created a moment later must be found at once.
    if (usable && value !== undefined) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    }
    return value;
  }
}
