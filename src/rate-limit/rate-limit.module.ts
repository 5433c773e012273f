import { Module } from '@nestjs/common';
import type { AppConfig } from '../config/app.config.js';
import { APP_CONFIG } from '../database/database.tokens.js';
import { RATE_LIMIT_STORE, RateLimitGuard } from './rate-limit.guard.js';
import { MemoryRateLimitStore, RedisRateLimitStore } from './rate-limit.store.js';

@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        if (!config.rateLimitEnabled) return null;
        return config.redisUrl ? new RedisRateLimitStore(config.redisUrl, config.redisTimeoutMs) : new MemoryRateLimitStore();
      },
    },
    RateLimitGuard,
  ],
  exports: [RateLimitGuard, RATE_LIMIT_STORE],
})
export class RateLimitModule {}
