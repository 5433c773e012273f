import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config.js';

interface Attempts {
  count: number;
  lockedUntil: number;
  touched: number;
}

/**
 * Failed logins for e-mails that match no account, counted in process with the same thresholds
 * as real accounts (whose counters live in the database): an unknown e-mail slows down and locks
 * exactly like a known one, so the lockout does not tell which e-mails exist.
 */
@Injectable()
export class UnknownEmailThrottle {
  private readonly attempts = new Map<string, Attempts>();

  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {}

  lockedUntil(email: string): number | undefined {
    const entry = this.attempts.get(email);
    return entry && entry.lockedUntil > Date.now() ? entry.lockedUntil : undefined;
  }

  /** Counts one failure; answers the count so far (0 once it has just locked). */
  fail(email: string): number {
    const now = Date.now();
    if (this.attempts.size > 100_000) this.prune(now);
    const entry = this.attempts.get(email) ?? { count: 0, lockedUntil: 0, touched: now };
    entry.count += 1;
    entry.touched = now;
    if (entry.count >= this.config.loginMaxFailures) {
      entry.count = 0;
      entry.lockedUntil = now + this.config.loginLockSeconds * 1000;
    }
    this.attempts.set(email, entry);
    return entry.count;
  }

  private prune(now: number): void {
    const horizon = now - this.config.loginLockSeconds * 1000;
    for (const [email, entry] of this.attempts) if (entry.touched < horizon && entry.lockedUntil < now) this.attempts.delete(email);
    if (this.attempts.size > 100_000) this.attempts.clear();
  }
}
