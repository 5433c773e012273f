import type { DynamicModule } from '@nestjs/common';
import { ConfigModule, registerAs, type ConfigFactory, type ConfigType } from '@nestjs/config';
import { appConfig } from './app.config.js';
import { authConfig } from './auth.config.js';
import { databaseConfig } from './database.config.js';
import { mailConfig } from './mail.config.js';
import { rateLimitConfig } from './rate-limit.config.js';
import type { Env } from './validate-config.js';

/** Every config namespace, under the token it is registered with. */
export const CONFIG_NAMESPACES = {
  app: appConfig,
  database: databaseConfig,
  auth: authConfig,
  mail: mailConfig,
  rateLimit: rateLimitConfig,
};

export type FraudGuardConfig = { [N in keyof typeof CONFIG_NAMESPACES]: ConfigType<(typeof CONFIG_NAMESPACES)[N]> };

/**
 * Validates `env` against every namespace's schema. The one way the environment becomes
 * configuration: main.ts, ormconfig.ts, the CLI and the tests all call it. Throws ConfigError.
 */
export function loadConfig(env: Env = process.env): FraudGuardConfig {
  return {
    app: appConfig(env),
    database: databaseConfig(env),
    auth: authConfig(env),
    mail: mailConfig(env),
    rateLimit: rateLimitConfig(env),
  };
}

/** Each namespace of an already loaded config, as a factory registered under that namespace's token. */
export function configFactories(config: FraudGuardConfig): ConfigFactory[] {
  return (Object.keys(CONFIG_NAMESPACES) as (keyof FraudGuardConfig)[]).map((name) => registerAs(name, () => config[name]));
}

/**
 * The global ConfigModule of one application, serving `config` as it is. ConfigModule.forRoot reads
 * .env and process.env, and writes what it validates back to process.env; here it does none of
 * that (no env file, no predefined variables, no `validate`, ConfigService never falls back to
 * process.env), so applications built in one process with different configs never see each other's.
 */
export function configModule(config: FraudGuardConfig): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    validatePredefined: false,
    skipProcessEnv: true,
    load: configFactories(config),
  });
}
