import { registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { Allow, IsDefined, IsOptional, Matches, ValidateIf } from 'class-validator';
import { IsEnvBoolean, IsEnvInteger, MinBytes, MinCodeUnits, problem, readBoolean, readInteger, validateConfig, type Env } from './validate-config.js';

class AuthEnvironmentVariables {
  @Allow()
  NODE_ENV?: string;

  /** Outside production an unset secret means a random one per process (AccessTokenService warns). */
  @ValidateIf((vars: AuthEnvironmentVariables) => vars.JWT_SECRET !== undefined || vars.NODE_ENV === 'production')
  @IsDefined({ message: 'is required in production' })
  @MinBytes(32, { message: 'must be at least 32 bytes long' })
  JWT_SECRET?: string;

  @Allow()
  JWT_ISSUER?: string;

  @Allow()
  JWT_AUDIENCE?: string;

  @IsOptional()
  @IsEnvInteger(10, 900)
  JWT_ACCESS_TTL_SECONDS?: string;

  @IsOptional()
  @IsEnvInteger(60, 365 * 86400)
  REFRESH_TOKEN_TTL_SECONDS?: string;

  @IsOptional()
  @IsEnvInteger(60, 86400)
  PASSWORD_RESET_TTL_SECONDS?: string;

  @IsOptional()
  @IsEnvInteger(1, 100)
  LOGIN_MAX_FAILURES?: string;

  @IsOptional()
  @IsEnvInteger(1, 86400)
  LOGIN_LOCK_SECONDS?: string;

  @IsOptional()
  @IsEnvInteger(1, 100)
  LOGIN_SLOWDOWN_AFTER?: string;

  @IsOptional()
  @IsEnvInteger(0, 10_000)
  LOGIN_SLOWDOWN_MS?: string;

  /** Never below OWASP's argon2id minimum (19 MiB, t=2). */
  @IsOptional()
  @IsEnvInteger(19_456, 4_194_304)
  ARGON2_MEMORY_KIB?: string;

  @IsOptional()
  @IsEnvInteger(2, 20)
  ARGON2_TIME_COST?: string;

  @IsOptional()
  @IsEnvInteger(0, 3_600_000)
  API_KEY_CACHE_TTL_MS?: string;

  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @Matches(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, problem((value) => `must be a domain name like fraudguard.example, got "${value}"`))
  TENANT_BASE_DOMAIN?: string;

  @IsOptional()
  @IsEnvBoolean()
  SIGNUP_ENABLED?: string;

  @IsOptional()
  @MinCodeUnits(32, { message: 'must be at least 32 characters (e.g. `openssl rand -base64 32`)' })
  PLATFORM_ADMIN_TOKEN?: string;
}

/** Who may come in and how: tokens, login throttling, password hashing, tenant addressing, operators. */
export const authConfig = registerAs('auth', (env: Env = process.env) => {
  const vars = validateConfig(env, AuthEnvironmentVariables);
  return {
    /** HS256 secret for access tokens; random per process (with a warning) outside production. */
    jwtSecret: vars.JWT_SECRET,
    jwtIssuer: vars.JWT_ISSUER ?? 'fraudguard',
    jwtAudience: vars.JWT_AUDIENCE ?? 'fraudguard-api',
    jwtAccessTtlSeconds: readInteger(vars.JWT_ACCESS_TTL_SECONDS, 900),
    refreshTokenTtlSeconds: readInteger(vars.REFRESH_TOKEN_TTL_SECONDS, 30 * 86400),
    passwordResetTtlSeconds: readInteger(vars.PASSWORD_RESET_TTL_SECONDS, 3600),
    /** Consecutive failed logins that lock an account, and for how long. */
    loginMaxFailures: readInteger(vars.LOGIN_MAX_FAILURES, 5),
    loginLockSeconds: readInteger(vars.LOGIN_LOCK_SECONDS, 900),
    /** From this many consecutive failures on, each answer is delayed (loginSlowdownMs × step). */
    loginSlowdownAfter: readInteger(vars.LOGIN_SLOWDOWN_AFTER, 3),
    loginSlowdownMs: readInteger(vars.LOGIN_SLOWDOWN_MS, 500),
    /** argon2id parameters for new hashes; a stored hash with other parameters is rehashed at login. */
    argon2MemoryKib: readInteger(vars.ARGON2_MEMORY_KIB, 19_456),
    argon2TimeCost: readInteger(vars.ARGON2_TIME_COST, 2),
    /** In-process cache lifetime of API-key, JWT-principal and subdomain look-ups. */
    apiKeyCacheTtlMs: readInteger(vars.API_KEY_CACHE_TTL_MS, 30_000),
    /** Tenants are addressed as <subdomain>.<tenantBaseDomain>. */
    tenantBaseDomain: vars.TENANT_BASE_DOMAIN ?? 'fraudguard.example',
    /** Public self-service signup open (the seed's rollout opens it only after the migration). */
    signupEnabled: readBoolean(vars.SIGNUP_ENABLED, true),
    /** Platform operators' credential (X-Admin-Token) for /api/v1/admin and /metrics. Unset → both disabled (404). */
    platformAdminToken: vars.PLATFORM_ADMIN_TOKEN,
  };
});
