import { registerAs } from '@nestjs/config';
import { Allow, IsDefined, IsOptional, ValidateIf } from 'class-validator';
import { DEV_APP_DB_PASSWORD } from '../database/roles.js';
import { IsEnvBoolean, IsEnvInteger, IsPostgresUrl, readBoolean, readInteger, validateConfig, type Env } from './validate-config.js';

class DatabaseEnvironmentVariables {
  @Allow()
  NODE_ENV?: string;

  @IsOptional()
  @IsPostgresUrl()
  DATABASE_URL?: string;

  @IsOptional()
  @IsPostgresUrl()
  APP_DATABASE_URL?: string;

  /** The development password must not reach a production database the app role logs in to. */
  @ValidateIf((vars: DatabaseEnvironmentVariables) => vars.NODE_ENV === 'production' && vars.DATABASE_URL !== undefined && vars.APP_DATABASE_URL === undefined)
  @IsDefined({ message: 'is required in production when APP_DATABASE_URL is not set' })
  APP_DB_PASSWORD?: string;

  @IsOptional()
  @IsPostgresUrl()
  LISTEN_DATABASE_URL?: string;

  @IsOptional()
  @IsEnvBoolean()
  MIGRATIONS_RUN?: string;

  @IsOptional()
  @IsEnvInteger(1, 500)
  DB_POOL_SIZE?: string;

  @IsOptional()
  @IsEnvInteger(1, 600_000)
  DB_ACQUIRE_TIMEOUT_MS?: string;

  @IsOptional()
  @IsEnvInteger(1, 3_600_000)
  DB_STATEMENT_TIMEOUT_MS?: string;

  @IsOptional()
  @IsEnvBoolean()
  DB_PREPARED_STATEMENTS?: string;

  @Allow()
  EMBEDDED_PG_DIR?: string;

  @IsOptional()
  @IsEnvInteger(1, 65535)
  EMBEDDED_PG_PORT?: string;

  @IsOptional()
  @IsEnvBoolean()
  DEMO_API_KEY?: string;

  @IsOptional()
  @IsEnvBoolean()
  AUDIT_SEALER?: string;

  @IsOptional()
  @IsEnvInteger(10, 60_000)
  AUDIT_SEAL_INTERVAL_MS?: string;

  @IsOptional()
  @IsEnvInteger(1, 100_000)
  AUDIT_SEAL_BATCH?: string;
}

/** Connections, pool, start-up work and background work (audit sealing) of PostgreSQL. */
export const databaseConfig = registerAs('database', (env: Env = process.env) => {
  const vars = validateConfig(env, DatabaseEnvironmentVariables);
  return {
    /** Owner connection (migrations, start-up tasks). Unset → embedded PostgreSQL. */
    databaseUrl: vars.DATABASE_URL,
    /** Runtime connection as the app role. Derived from databaseUrl and the database's recorded app role when unset (appRoleUrl). */
    appDatabaseUrl: vars.APP_DATABASE_URL,
    /** The app role's password: given to the role when migration 3 creates it, never to an existing role. */
    appDbPassword: vars.APP_DB_PASSWORD ?? DEV_APP_DB_PASSWORD,
    /** Direct (not pooled by PgBouncer) app-role connection for LISTEN and the audit sealer's session. Defaults to the app URL. */
    listenDatabaseUrl: vars.LISTEN_DATABASE_URL,
    migrationsRun: readBoolean(vars.MIGRATIONS_RUN, true),
    dbPoolSize: readInteger(vars.DB_POOL_SIZE, 10),
    dbAcquireTimeoutMs: readInteger(vars.DB_ACQUIRE_TIMEOUT_MS, 3000),
    dbStatementTimeoutMs: readInteger(vars.DB_STATEMENT_TIMEOUT_MS, 10_000),
    /** Hot statements as named prepared statements (parsed and planned once per connection). */
    dbPreparedStatements: readBoolean(vars.DB_PREPARED_STATEMENTS, true),
    embeddedPgDir: vars.EMBEDDED_PG_DIR ?? '.data/postgres',
    embeddedPgPort: readInteger(vars.EMBEDDED_PG_PORT, 54329),
    /**
     * On first start with only the demo tenant, issue and print a demo API key. On by default outside
     * production; in production only when DEMO_API_KEY=true says so (a printed live key for an active
     * tenant is a credential in the deployment's logs).
     */
    demoApiKey: readBoolean(vars.DEMO_API_KEY, vars.NODE_ENV !== 'production'),
    /** This process takes part in sealing the audit chains (one leader per database at a time). */
    auditSealer: readBoolean(vars.AUDIT_SEALER, true),
    /** Pause between the leader's seal passes. */
    auditSealIntervalMs: readInteger(vars.AUDIT_SEAL_INTERVAL_MS, 200),
    /** Rows sealed per transaction (a tenant's head row is locked for that long). */
    auditSealBatch: readInteger(vars.AUDIT_SEAL_BATCH, 1000),
  };
});

/**
 * The app role's URL: DATABASE_URL (or the embedded cluster's) with the app role's user — the one
 * recorded in the database (readDeploymentRoles) — and password.
 */
export function appRoleUrl(ownerUrl: string, appRole: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = appRole;
  url.password = password;
  return url.toString();
}
