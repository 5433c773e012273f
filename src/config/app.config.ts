import { registerAs } from '@nestjs/config';
import { Allow, IsIn, IsOptional } from 'class-validator';
import { IsEnvBoolean, IsEnvInteger, readBoolean, readInteger, validateConfig, type Env } from './validate-config.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

class AppEnvironmentVariables {
  @Allow()
  NODE_ENV?: string;

  @IsOptional()
  @IsEnvInteger(0, 65535)
  PORT?: string;

  @Allow()
  HOST?: string;

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: string;

  @IsOptional()
  @IsEnvBoolean()
  TRUST_PROXY?: string;

  @IsOptional()
  @IsEnvInteger(24, 24 * 90)
  IDEMPOTENCY_TTL_HOURS?: string;

  @IsOptional()
  @IsEnvInteger(0, 600_000)
  SHUTDOWN_TIMEOUT_MS?: string;
}

/** The process and its HTTP server. */
export const appConfig = registerAs('app', (env: Env = process.env) => {
  const vars = validateConfig(env, AppEnvironmentVariables);
  return {
    /** `production` makes JWT_SECRET and (without APP_DATABASE_URL) APP_DB_PASSWORD mandatory. */
    nodeEnv: vars.NODE_ENV ?? 'development',
    port: readInteger(vars.PORT, 3000),
    host: vars.HOST ?? '0.0.0.0',
    logLevel: vars.LOG_LEVEL ?? 'info',
    trustProxy: readBoolean(vars.TRUST_PROXY, false),
    /** How long a stored Idempotency-Key response is replayed (at least 24 hours). */
    idempotencyTtlHours: readInteger(vars.IDEMPOTENCY_TTL_HOURS, 24),
    /** How long SIGTERM waits for in-flight requests before closing anyway. */
    shutdownTimeoutMs: readInteger(vars.SHUTDOWN_TIMEOUT_MS, 10_000),
  };
});
