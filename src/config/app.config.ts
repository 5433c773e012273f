import { APP_ROLE } from '../database/roles.js';

/**
 * Every environment variable the service reads, validated once at boot. A bad value stops start-up
 * with the variable's name, so a misconfigured deployment never serves a request.
 */
export interface AppConfig {
  nodeEnv: string;
  port: number;
  host: string;
  /** Owner connection (migrations, start-up tasks). Unset → embedded PostgreSQL. */
  databaseUrl?: string;
  /** Runtime connection as the app role. Derived from databaseUrl when unset. */
  appDatabaseUrl?: string;
  appDbPassword: string;
  /** Direct (not pooled by PgBouncer) app-role connection for LISTEN. Defaults to the app URL. */
  listenDatabaseUrl?: string;
  migrationsRun: boolean;
  dbPoolSize: number;
  dbAcquireTimeoutMs: number;
  dbStatementTimeoutMs: number;
  /** Hot statements as named prepared statements (parsed and planned once per connection). */
  dbPreparedStatements: boolean;
  embeddedPgDir: string;
  embeddedPgPort: number;
  apiKeyCacheTtlMs: number;
  logLevel: string;
  demoApiKey: boolean;
  trustProxy: boolean;
  smtpUrl?: string;
  mailFrom: string;
  mailOutboxDir: string;
  rateLimitEnabled: boolean;
  redisUrl?: string;
  redisTimeoutMs: number;
  /** How long a stored Idempotency-Key response is replayed (at least 24 hours). */
  idempotencyTtlHours: number;
  /** Public self-service signup open (the seed's rollout opens it only after the migration). */
  signupEnabled: boolean;
  /** HS256 secret for access tokens; random per process (with a warning) outside production. */
  jwtSecret?: string;
  jwtIssuer: string;
  jwtAudience: string;
  jwtAccessTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  passwordResetTtlSeconds: number;
  /** Consecutive failed logins that lock an account, and for how long. */
  loginMaxFailures: number;
  loginLockSeconds: number;
  /** From this many consecutive failures on, each answer is delayed (loginSlowdownMs × step). */
  loginSlowdownAfter: number;
  loginSlowdownMs: number;
  /** argon2id parameters for new hashes; a stored hash with other parameters is rehashed at login. */
  argon2MemoryKib: number;
  argon2TimeCost: number;
  /** Tenants are addressed as <subdomain>.<tenantBaseDomain>. */
  tenantBaseDomain: string;
  /** Platform operators' credential (X-Admin-Token) for /api/v1/admin and /metrics. Unset → both disabled (404). */
  platformAdminToken?: string;
  /** How long SIGTERM waits for in-flight requests before closing anyway. */
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback?: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function postgresUrl(env: Env, name: string): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, 'must be a postgres:// URL');
  }
  return raw;
}

function redisUrl(env: Env, name: string): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  if (!/^rediss?:\/\/.+/.test(raw)) throw new ConfigError(name, 'must be a redis:// or rediss:// URL');
  return raw;
}

function tenantBaseDomain(env: Env): string {
  const value = str(env, 'TENANT_BASE_DOMAIN', 'fraudguard.example')!.toLowerCase();
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(value)) throw new ConfigError('TENANT_BASE_DOMAIN', `must be a domain name like fraudguard.example, got "${value}"`);
  return value;
}

const DEV_APP_DB_PASSWORD = 'fraudguard_app_dev';

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = str(env, 'NODE_ENV', 'development')!;
  const databaseUrl = postgresUrl(env, 'DATABASE_URL');
  const appDatabaseUrl = postgresUrl(env, 'APP_DATABASE_URL');
  const appDbPassword = str(env, 'APP_DB_PASSWORD');
  if (nodeEnv === 'production' && databaseUrl && !appDatabaseUrl && !appDbPassword) {
    throw new ConfigError('APP_DB_PASSWORD', 'is required in production when APP_DATABASE_URL is not set');
  }
  const jwtSecret = str(env, 'JWT_SECRET');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 bytes long');
  if (nodeEnv === 'production' && jwtSecret === undefined) throw new ConfigError('JWT_SECRET', 'is required in production');
  const logLevel = str(env, 'LOG_LEVEL', 'info')!;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  const platformAdminToken = str(env, 'PLATFORM_ADMIN_TOKEN');
  if (platformAdminToken !== undefined && platformAdminToken.length < 32) {
    throw new ConfigError('PLATFORM_ADMIN_TOKEN', 'must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  }
  return {
    nodeEnv,
    port: int(env, 'PORT', 3000, 0, 65535),
    host: str(env, 'HOST', '0.0.0.0')!,
    databaseUrl,
    appDatabaseUrl,
    appDbPassword: appDbPassword ?? DEV_APP_DB_PASSWORD,
    listenDatabaseUrl: postgresUrl(env, 'LISTEN_DATABASE_URL'),
    migrationsRun: bool(env, 'MIGRATIONS_RUN', true),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1, 500),
    dbAcquireTimeoutMs: int(env, 'DB_ACQUIRE_TIMEOUT_MS', 3000, 1, 600_000),
    dbStatementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 10_000, 1, 3_600_000),
    dbPreparedStatements: bool(env, 'DB_PREPARED_STATEMENTS', true),
    embeddedPgDir: str(env, 'EMBEDDED_PG_DIR', '.data/postgres')!,
    embeddedPgPort: int(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    apiKeyCacheTtlMs: int(env, 'API_KEY_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    logLevel,
    demoApiKey: bool(env, 'DEMO_API_KEY', true),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    smtpUrl: str(env, 'SMTP_URL'),
    mailFrom: str(env, 'MAIL_FROM', 'FraudGuard <no-reply@fraudguard.example>')!,
    mailOutboxDir: str(env, 'MAIL_OUTBOX_DIR', 'outbox')!,
    rateLimitEnabled: bool(env, 'RATE_LIMIT_ENABLED', true),
    redisUrl: redisUrl(env, 'REDIS_URL'),
    redisTimeoutMs: int(env, 'REDIS_TIMEOUT_MS', 250, 10, 60_000),
    idempotencyTtlHours: int(env, 'IDEMPOTENCY_TTL_HOURS', 24, 24, 24 * 90),
    signupEnabled: bool(env, 'SIGNUP_ENABLED', true),
    jwtSecret,
    jwtIssuer: str(env, 'JWT_ISSUER', 'fraudguard')!,
    jwtAudience: str(env, 'JWT_AUDIENCE', 'fraudguard-api')!,
    jwtAccessTtlSeconds: int(env, 'JWT_ACCESS_TTL_SECONDS', 900, 10, 900),
    refreshTokenTtlSeconds: int(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 86400, 60, 365 * 86400),
    passwordResetTtlSeconds: int(env, 'PASSWORD_RESET_TTL_SECONDS', 3600, 60, 86400),
    loginMaxFailures: int(env, 'LOGIN_MAX_FAILURES', 5, 1, 100),
    loginLockSeconds: int(env, 'LOGIN_LOCK_SECONDS', 900, 1, 86400),
    loginSlowdownAfter: int(env, 'LOGIN_SLOWDOWN_AFTER', 3, 1, 100),
    loginSlowdownMs: int(env, 'LOGIN_SLOWDOWN_MS', 500, 0, 10_000),
    argon2MemoryKib: int(env, 'ARGON2_MEMORY_KIB', 19_456, 19_456, 4_194_304),
    argon2TimeCost: int(env, 'ARGON2_TIME_COST', 2, 2, 20),
    tenantBaseDomain: tenantBaseDomain(env),
    platformAdminToken,
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
}

/** The app role's URL: APP_DATABASE_URL, or DATABASE_URL with the app role's user and password. */
export function appRoleUrl(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password;
  return url.toString();
}
