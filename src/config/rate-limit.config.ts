import { registerAs } from '@nestjs/config';
import { IsOptional, Matches } from 'class-validator';
import { IsEnvBoolean, IsEnvInteger, readBoolean, readInteger, validateConfig, type Env } from './validate-config.js';

class RateLimitEnvironmentVariables {
  @IsOptional()
  @IsEnvBoolean()
  RATE_LIMIT_ENABLED?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @IsOptional()
  @IsEnvInteger(10, 60_000)
  REDIS_TIMEOUT_MS?: string;
}

/** Rate limits, and the Redis that shares their counters (and is probed by /health/ready). */
export const rateLimitConfig = registerAs('rateLimit', (env: Env = process.env) => {
  const vars = validateConfig(env, RateLimitEnvironmentVariables);
  return {
    rateLimitEnabled: readBoolean(vars.RATE_LIMIT_ENABLED, true),
    /** Shared counters for several API processes. Unset → counted in each process's memory. */
    redisUrl: vars.REDIS_URL,
    /** How long a request waits for Redis before counting in memory instead. */
    redisTimeoutMs: readInteger(vars.REDIS_TIMEOUT_MS, 250),
  };
});
