import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { rateLimitConfig } from '../config/rate-limit.config.js';
import { RATE_LIMIT_STORE, RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitTargetRepository } from './rate-limit-target.repository.js';
import { MemoryRateLimitStore, RedisRateLimitStore } from './rate-limit.store.js';

@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORE,
      inject: [rateLimitConfig.KEY],
      useFactory: (config: ConfigType<typeof rateLimitConfig>) => {
        if (!config.rateLimitEnabled) return null;
        return config.redisUrl ? new RedisRateLimitStore(config.redisUrl, config.redisTimeoutMs, config.redisBackoffMs) : new MemoryRateLimitStore();
      },
    },
    RateLimitTargetRepository,
    RateLimitGuard,
  ],
  exports: [RateLimitGuard, RATE_LIMIT_STORE],
})
export class RateLimitModule {}
