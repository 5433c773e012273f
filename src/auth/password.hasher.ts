import { Inject, Injectable } from '@nestjs/common';
import argon2 from 'argon2';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config.js';

/**
 * argon2id with the OWASP parameters (≥ 19 MiB, t=2, p=1). `verify` always costs one argon2
 * verification — against a dummy hash when there is no user — so an unknown e-mail and a wrong
 * password take the same time.
 */
@Injectable()
export class PasswordHasher {
  private readonly options: argon2.HashOptions & { memoryCost: number; timeCost: number; parallelism: number };
  private dummyHash?: Promise<string>;
  /** argon2 verifications run by this process (also against the dummy hash): what login costs is counted, not assumed. */
  verifications = 0;

  constructor(@Inject(authConfig.KEY) config: ConfigType<typeof authConfig>) {
    this.options = { type: argon2.argon2id, memoryCost: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: 1 };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** False for a missing hash too, after the same amount of work. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    this.verifications += 1;
    if (!hash) {
      this.dummyHash ??= this.hash('dummy password that never matches');
      await argon2.verify(await this.dummyHash, password).catch(() => false);
      return false;
    }
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false; // a malformed stored hash is a failed login, not a 500
    }
  }

  /** True when the stored hash was made with other parameters (or another algorithm). */
  needsRehash(hash: string): boolean {
    return !hash.startsWith('$argon2id$') || argon2.needsRehash(hash, this.options);
  }
}
