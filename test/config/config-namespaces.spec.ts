import { Inject, Injectable } from '@nestjs/common';
import { ConfigService, type ConfigType } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { authConfig } from '../../src/config/auth.config.js';
import { databaseConfig } from '../../src/config/database.config.js';
import { CONFIG_NAMESPACES, configFactories, configModule, loadConfig, type FraudGuardConfig } from '../../src/config/fraudguard.config.js';
import { rateLimitConfig } from '../../src/config/rate-limit.config.js';
import { ConfigError, type Env } from '../../src/config/validate-config.js';

/** The message loadConfig throws for `env`, checked to be a ConfigError on one line. */
function failure(env: Env): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).not.toMatch(/\n/);
    return error.message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32), DATABASE_URL: 'postgres://owner@db/fraudguard', APP_DB_PASSWORD: 'app-password' };

describe('configuration namespaces', () => {
  it('defaults every variable of every namespace', () => {
    expect(loadConfig({})).toEqual({
      app: { nodeEnv: 'development', port: 3000, host: '0.0.0.0', logLevel: 'info', trustProxy: false, idempotencyTtlHours: 24, shutdownTimeoutMs: 10_000 },
      database: {
        databaseUrl: undefined,
        appDatabaseUrl: undefined,
        appDbPassword: 'fraudguard_app_dev',
        listenDatabaseUrl: undefined,
        migrationsRun: true,
        dbPoolSize: 10,
        dbAcquireTimeoutMs: 3000,
        dbStatementTimeoutMs: 10_000,
        dbPreparedStatements: true,
        embeddedPgDir: '.data/postgres',
        embeddedPgPort: 54329,
        demoApiKey: true,
        auditSealer: true,
        auditSealIntervalMs: 200,
        auditSealBatch: 1000,
      },
      auth: {
        jwtSecret: undefined,
        jwtIssuer: 'fraudguard',
        jwtAudience: 'fraudguard-api',
        jwtAccessTtlSeconds: 900,
        refreshTokenTtlSeconds: 2_592_000,
        passwordResetTtlSeconds: 3600,
        loginMaxFailures: 5,
        loginLockSeconds: 900,
        loginSlowdownAfter: 3,
        loginSlowdownMs: 500,
        argon2MemoryKib: 19_456,
        argon2TimeCost: 2,
        apiKeyCacheTtlMs: 30_000,
        tenantBaseDomain: 'fraudguard.example',
        signupEnabled: true,
        platformAdminToken: undefined,
      },
      mail: { smtpUrl: undefined, mailFrom: 'FraudGuard <no-reply@fraudguard.example>', mailOutboxDir: 'outbox' },
      rateLimit: { rateLimitEnabled: true, redisUrl: undefined, redisTimeoutMs: 250, redisBackoffMs: 5000, publicLimits: { authPerIp: 30, loginPerEmail: 10, passwordResetPerEmail: 5, signupPerIp: 5, signupPerTarget: 3 } },
    });
  });

  it('reads set values, treating an empty variable as unset', () => {
    const config = loadConfig({
      PORT: '8080',
      TRUST_PROXY: 'YES',
      DB_PREPARED_STATEMENTS: '0',
      EMBEDDED_PG_PORT: '',
      ARGON2_MEMORY_KIB: '65536',
      MAIL_FROM: '',
      SMTP_URL: 'smtp://mail:587',
      RATE_LIMIT_ENABLED: 'no',
      REDIS_URL: 'rediss://cache:6380',
      AUDIT_SEALER: 'false',
      AUDIT_SEAL_INTERVAL_MS: '50',
      AUDIT_SEAL_BATCH: '5000',
    });
    expect(config.app).toMatchObject({ port: 8080, trustProxy: true });
    expect(config.database).toMatchObject({ dbPreparedStatements: false, embeddedPgPort: 54329, auditSealer: false, auditSealIntervalMs: 50, auditSealBatch: 5000 });
    expect(config.auth.argon2MemoryKib).toBe(65_536);
    expect(config.mail).toEqual({ smtpUrl: 'smtp://mail:587', mailFrom: 'FraudGuard <no-reply@fraudguard.example>', mailOutboxDir: 'outbox' });
    expect(config.rateLimit).toEqual({ rateLimitEnabled: false, redisUrl: 'rediss://cache:6380', redisTimeoutMs: 250, redisBackoffMs: 5000, publicLimits: { authPerIp: 30, loginPerEmail: 10, passwordResetPerEmail: 5, signupPerIp: 5, signupPerTarget: 3 } });
  });

  // The mail namespace has no rules: any SMTP_URL, MAIL_FROM or MAIL_OUTBOX_DIR is taken as given.
  it.each([
    // integer
    [{ PORT: '80a' }, 'PORT must be an integer, got "80a"'],
    [{ DB_POOL_SIZE: '-1' }, 'DB_POOL_SIZE must be an integer, got "-1"'],
    [{ LOGIN_MAX_FAILURES: '2.5' }, 'LOGIN_MAX_FAILURES must be an integer, got "2.5"'],
    [{ REDIS_TIMEOUT_MS: '1e3' }, 'REDIS_TIMEOUT_MS must be an integer, got "1e3"'],
    // range
    [{ IDEMPOTENCY_TTL_HOURS: '23' }, 'IDEMPOTENCY_TTL_HOURS must be between 24 and 2160, got 23'],
    [{ DB_POOL_SIZE: '501' }, 'DB_POOL_SIZE must be between 1 and 500, got 501'],
    [{ JWT_ACCESS_TTL_SECONDS: '901' }, 'JWT_ACCESS_TTL_SECONDS must be between 10 and 900, got 901'],
    [{ REDIS_TIMEOUT_MS: '9' }, 'REDIS_TIMEOUT_MS must be between 10 and 60000, got 9'],
    [{ REDIS_BACKOFF_MS: '99' }, 'REDIS_BACKOFF_MS must be between 100 and 600000, got 99'],
    [{ LOGIN_RATE_LIMIT_PER_EMAIL: '0' }, 'LOGIN_RATE_LIMIT_PER_EMAIL must be between 1 and 1000000, got 0'],
    [{ SIGNUP_RATE_LIMIT_PER_IP: 'many' }, 'SIGNUP_RATE_LIMIT_PER_IP must be an integer, got "many"'],
    [{ AUDIT_SEAL_INTERVAL_MS: '5' }, 'AUDIT_SEAL_INTERVAL_MS must be between 10 and 60000, got 5'],
    [{ AUDIT_SEAL_BATCH: '0' }, 'AUDIT_SEAL_BATCH must be between 1 and 100000, got 0'],
    // boolean
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY must be true or false, got "maybe"'],
    [{ MIGRATIONS_RUN: 'on' }, 'MIGRATIONS_RUN must be true or false, got "on"'],
    [{ SIGNUP_ENABLED: 'y' }, 'SIGNUP_ENABLED must be true or false, got "y"'],
    [{ RATE_LIMIT_ENABLED: 'off' }, 'RATE_LIMIT_ENABLED must be true or false, got "off"'],
    [{ AUDIT_SEALER: 'sometimes' }, 'AUDIT_SEALER must be true or false, got "sometimes"'],
    // URL
    [{ DATABASE_URL: 'db.internal:5432' }, 'DATABASE_URL must be a postgres:// URL'],
    [{ APP_DATABASE_URL: 'not a url' }, 'APP_DATABASE_URL is not a URL'],
    [{ LISTEN_DATABASE_URL: 'mysql://db/fraudguard' }, 'LISTEN_DATABASE_URL must be a postgres:// URL'],
    [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
    // enum and format
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ TENANT_BASE_DOMAIN: 'Localhost' }, 'TENANT_BASE_DOMAIN must be a domain name like fraudguard.example, got "localhost"'],
    // minimum length
    [{ JWT_SECRET: 'é'.repeat(15) }, 'JWT_SECRET must be at least 32 bytes long'],
    [{ PLATFORM_ADMIN_TOKEN: 't'.repeat(31) }, 'PLATFORM_ADMIN_TOKEN must be at least 32 characters (e.g. `openssl rand -base64 32`)'],
    // production
    [{ ...PRODUCTION, JWT_SECRET: undefined }, 'JWT_SECRET is required in production'],
    [{ ...PRODUCTION, JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 bytes long'],
    [{ ...PRODUCTION, APP_DB_PASSWORD: '' }, 'APP_DB_PASSWORD is required in production when APP_DATABASE_URL is not set'],
    // the value is quoted as given, even when it looks like a class-validator message token
    [{ EMBEDDED_PG_PORT: '$property' }, 'EMBEDDED_PG_PORT must be an integer, got "$property"'],
  ] as [Env, string][])('refuses %j: %s', (env, message) => {
    expect(failure(env)).toBe(`Invalid configuration: ${message}`);
  });

  it('accepts what production requires, and only requires APP_DB_PASSWORD when the app URL is derived', () => {
    expect(loadConfig(PRODUCTION).database.appDbPassword).toBe('app-password');
    expect(loadConfig(PRODUCTION).database.demoApiKey).toBe(false);
    expect(loadConfig({ ...PRODUCTION, DEMO_API_KEY: 'true' }).database.demoApiKey).toBe(true);
    expect(loadConfig({ ...PRODUCTION, APP_DB_PASSWORD: undefined, APP_DATABASE_URL: 'postgres://fraudguard_app:pw@db/fraudguard' }).database.appDatabaseUrl).toBe(
      'postgres://fraudguard_app:pw@db/fraudguard',
    );
    expect(loadConfig({ ...PRODUCTION, APP_DB_PASSWORD: undefined, DATABASE_URL: undefined }).database.appDbPassword).toBe('fraudguard_app_dev');
    expect(loadConfig({ JWT_SECRET: 'é'.repeat(16) }).auth.jwtSecret).toBe('é'.repeat(16)); // 32 bytes
  });
});

@Injectable()
class ConfigReader {
  constructor(
    @Inject(authConfig.KEY) readonly auth: ConfigType<typeof authConfig>,
    @Inject(databaseConfig.KEY) readonly database: ConfigType<typeof databaseConfig>,
    @Inject(rateLimitConfig.KEY) readonly rateLimit: ConfigType<typeof rateLimitConfig>,
    readonly service: ConfigService<FraudGuardConfig, true>,
  ) {}
}

async function readerFor(env: Env): Promise<ConfigReader> {
  const module = await Test.createTestingModule({ imports: [configModule(loadConfig(env))], providers: [ConfigReader] }).compile();
  return module.get(ConfigReader);
}

describe('@nestjs/config for several applications in one process', () => {
  it('registers every namespace under the token its providers inject', () => {
    expect(configFactories(loadConfig({})).map((factory) => (factory as unknown as { KEY: string }).KEY)).toEqual(
      Object.values(CONFIG_NAMESPACES).map((namespace) => namespace.KEY),
    );
  });

  it('gives each application its own values and leaves process.env alone', async () => {
    const before = { ...process.env };
    const [a, b] = await Promise.all([
      readerFor({ JWT_ISSUER: 'issuer-a', DB_POOL_SIZE: '2', REDIS_URL: 'redis://a:6379' }),
      readerFor({ JWT_ISSUER: 'issuer-b', RATE_LIMIT_ENABLED: 'false' }),
    ]);
    const c = await readerFor({});

    expect([a.auth.jwtIssuer, b.auth.jwtIssuer, c.auth.jwtIssuer]).toEqual(['issuer-a', 'issuer-b', 'fraudguard']);
    expect([a.database.dbPoolSize, b.database.dbPoolSize, c.database.dbPoolSize]).toEqual([2, 10, 10]);
    expect([a.rateLimit, b.rateLimit.rateLimitEnabled]).toEqual([{ rateLimitEnabled: true, redisUrl: 'redis://a:6379', redisTimeoutMs: 250, redisBackoffMs: 5000, publicLimits: { authPerIp: 30, loginPerEmail: 10, passwordResetPerEmail: 5, signupPerIp: 5, signupPerTarget: 3 } }, false]);
    expect(a.service.get('auth.jwtIssuer', { infer: true })).toBe('issuer-a');
    expect(b.service.get('auth.jwtIssuer', { infer: true })).toBe('issuer-b');

    // ConfigService never falls back to process.env, and nothing was written there.
    expect((a.service as unknown as ConfigService).get('PATH')).toBeUndefined();
    expect(process.env).toEqual(before);
  });
});
