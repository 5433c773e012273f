import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

export interface Bucket {
  /** Counter name, e.g. `key:<tenant>:42` or `tenant:<tenant>`. */
  name: string;
  /** Requests allowed per window. */
  limit: number;
  /** This bucket's window, when it is not the one `hit` is given (signup counts per hour). */
  windowMs?: number;
}

export interface BucketState {
  name: string;
  limit: number;
  /** Requests still allowed right now. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** When refused: milliseconds until one more request is allowed; 0 when allowed. */
  retryAfterMs: number;
  windowMs: number;
}

/**
 * GCRA (a leaky bucket kept as one timestamp per bucket): `limit` requests per window, refilled
 * continuously, so there is no window edge at which a client gets twice its limit. A request is
 * counted only if every bucket it touches allows it.
 */
export interface RateLimitStore {
  hit(buckets: Bucket[], windowMs: number): Promise<{ allowed: boolean; states: BucketState[] }>;
  /** True while shared counters are unavailable and each process counts on its own. */
  readonly degraded: boolean;
  close(): Promise<void>;
}

/** The arithmetic both stores share; `tats` are the buckets' theoretical arrival times. */
export function gcra(buckets: Bucket[], tats: number[], now: number, windowMs: number) {
  const next: number[] = [];
  const states = buckets.map(({ name, limit, windowMs: own }, i) => {
    const window = own ?? windowMs;
    const interval = window / limit;
    const newTat = Math.max(tats[i] || 0, now) + interval;
    const allowAt = newTat - window;
    const allowed = now >= allowAt;
    const tat = allowed ? newTat : Math.max(tats[i] || 0, now);
    next.push(tat);
    return {
      name,
      limit,
      windowMs: window,
      remaining: Math.max(0, Math.floor((now + window - tat) / interval)),
      resetMs: Math.max(0, tat - now),
      retryAfterMs: allowed ? 0 : Math.ceil(allowAt - now),
    };
  });
  return { allowed: states.every((state) => state.retryAfterMs === 0), states, next };
}

export class MemoryRateLimitStore implements RateLimitStore {
  readonly degraded = false;
  private readonly tats = new Map<string, number>();
  private lastSweep = Date.now();

  async hit(buckets: Bucket[], windowMs: number) {
    const now = Date.now();
    if (now - this.lastSweep > 60_000) {
      for (const [name, tat] of this.tats) if (tat < now) this.tats.delete(name); // full again: forget it
      this.lastSweep = now;
    }
    const result = gcra(buckets, buckets.map((bucket) => this.tats.get(bucket.name) ?? 0), now, windowMs);
    if (result.allowed) buckets.forEach((bucket, i) => this.tats.set(bucket.name, result.next[i]));
    return { allowed: result.allowed, states: result.states };
  }

  async close(): Promise<void> {
    this.tats.clear();
  }
}

// Reads every bucket's TAT and the server clock; the caller decides; a second script stores.
// One round trip when refused, two when allowed is avoided by doing it all in Lua:
const HIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local tats, news, windows = {}, {}, {}
local allowed = 1
for i = 1, n do
  local limit = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  windows[i] = window
  local interval = window / limit
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  news[i] = tat + interval
  if now < news[i] - window then allowed = 0 end
end
if allowed == 1 then
  for i = 1, n do redis.call('SET', KEYS[i], tostring(news[i]), 'PX', windows[i] + 1000) end
end
local out = { now, allowed }
for i = 1, n do out[#out + 1] = tostring(tats[i]) end
return out`;

/** Consecutive failures after which Redis is skipped for the back-off period. */
const FAILURES_BEFORE_BACKOFF = 3;

/**
 * Buckets shared by every API process through Redis (its clock, one round trip per request). If
 * Redis does not answer within REDIS_TIMEOUT_MS the request neither waits longer nor fails: it is
 * counted in this process's memory instead — fail open to a per-instance limit, warning at most
 * every 30 s. After FAILURES_BEFORE_BACKOFF failures in a row, requests skip Redis for
 * REDIS_BACKOFF_MS (a hanging Redis would otherwise cost every request its timeout); then one
 * request tries again, and one more failure starts another back-off.
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  private readonly fallback = new MemoryRateLimitStore();
  private readonly redis: Redis;
  private lastWarning = 0;
  private consecutiveFailures = 0;
  private skipUntil = 0;
  private connectionFailed = false;

  constructor(url: string, timeoutMs: number, private readonly backoffMs = 5000) {
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: timeoutMs,
      connectTimeout: Math.max(timeoutMs, 1000),
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.redis.on('error', (error) => {
      this.connectionFailed = true;
      this.warn(error);
    });
    this.redis.on('ready', () => (this.connectionFailed = false));
  }

  get degraded(): boolean {
    return this.connectionFailed || this.consecutiveFailures > 0 || Date.now() < this.skipUntil;
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 30_000) return;
    this.lastWarning = now;
    this.logger.warn(`Redis unavailable, rate limits counted per process until it is back: ${(error as Error)?.message ?? error}`);
  }

  async hit(buckets: Bucket[], windowMs: number) {
    if (Date.now() < this.skipUntil) return this.fallback.hit(buckets, windowMs);
    try {
      const keys = buckets.map((bucket) => `fg:rl:${bucket.name}`);
      const args = buckets.flatMap((b) => [String(b.limit), String(b.windowMs ?? windowMs)]);
      const out = (await this.redis.eval(HIT_SCRIPT, keys.length, ...keys, ...args)) as (number | string)[];
      const now = Number(out[0]);
      const tats = out.slice(2).map(Number);
      // Same arithmetic as the script, on the values it saw, to describe each bucket.
      const result = gcra(buckets, tats, now, windowMs);
      this.consecutiveFailures = 0;
      return { allowed: Number(out[1]) === 1, states: result.states };
    } catch (error) {
      this.warn(error);
      if (++this.consecutiveFailures >= FAILURES_BEFORE_BACKOFF && Date.now() >= this.skipUntil) {
        this.skipUntil = Date.now() + this.backoffMs;
        this.logger.warn(`Redis failed ${this.consecutiveFailures} times in a row: counting in memory for ${this.backoffMs} ms before trying again`);
      }
      return this.fallback.hit(buckets, windowMs);
    }
  }

  /** For readiness checks: does Redis answer now? */
  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.fallback.close();
  }
}
