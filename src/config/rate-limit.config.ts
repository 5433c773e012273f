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

  @IsOptional()
  @IsEnvInteger(100, 600_000)
  REDIS_BACKOFF_MS?: string;

  @IsOptional()
  @IsEnvInteger(1, 1_000_000)
  AUTH_RATE_LIMIT_PER_IP?: string;

  @IsOptional()
  @IsEnvInteger(1, 1_000_000)
  LOGIN_RATE_LIMIT_PER_EMAIL?: string;

  @IsOptional()
  @IsEnvInteger(1, 1_000_000)
  PASSWORD_RESET_RATE_LIMIT_PER_EMAIL?: string;

  @IsOptional()
  @IsEnvInteger(1, 1_000_000)
  SIGNUP_RATE_LIMIT_PER_IP?: string;

  @IsOptional()
  @IsEnvInteger(1, 1_000_000)
  SIGNUP_RATE_LIMIT_PER_TARGET?: string;
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
    /** After repeated Redis failures, how long requests skip it (counting in memory) before trying again. */
    redisBackoffMs: readInteger(vars.REDIS_BACKOFF_MS, 5000),
    /** Public routes (no credential), per client IP (TRUST_PROXY decides which address that is) and per target. */
    publicLimits: {
      /** Requests per minute to /auth/* (login, refresh, logout, forgot and reset password) from one IP. */
      authPerIp: readInteger(vars.AUTH_RATE_LIMIT_PER_IP, 30),
      /** Login attempts per minute for one e-mail address, from anywhere. */
      loginPerEmail: readInteger(vars.LOGIN_RATE_LIMIT_PER_EMAIL, 10),
      /** Password-reset requests (so reset mails) per hour for one e-mail address. */
      passwordResetPerEmail: readInteger(vars.PASSWORD_RESET_RATE_LIMIT_PER_EMAIL, 5),
      /** Signups per hour from one IP. */
      signupPerIp: readInteger(vars.SIGNUP_RATE_LIMIT_PER_IP, 5),
      /** Signups per hour naming one admin e-mail, or one subdomain. */
      signupPerTarget: readInteger(vars.SIGNUP_RATE_LIMIT_PER_TARGET, 3),
    },
  };
});
