import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/fraudguard.config.js';
import { createTestDatabase, TestDatabase } from './test-database.js';

/**
 * Suites log in and sign up far more often from 127.0.0.1 than one client may: their public rate
 * limits are lifted. A suite about those limits sets them (or '' for the defaults) in `env`.
 */
export const PUBLIC_LIMITS_FOR_TESTS = {
  AUTH_RATE_LIMIT_PER_IP: '100000',
  LOGIN_RATE_LIMIT_PER_EMAIL: '100000',
  PASSWORD_RESET_RATE_LIMIT_PER_EMAIL: '100000',
  SIGNUP_RATE_LIMIT_PER_IP: '100000',
  SIGNUP_RATE_LIMIT_PER_TARGET: '100000',
};

export interface TestApp {
  app: NestFastifyApplication;
  http: Server;
  db: TestDatabase;
  close(): Promise<void>;
}

/**
 * The real application (same module graph, guards, interceptor and filter as `npm start`) on a
 * fresh database cloned from the migrated template. `env` overrides configuration per suite.
 */
export async function startTestApp(
  options: { env?: Record<string, string>; db?: TestDatabase; modules?: Type[] } = {},
): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.ownerUrl,
    LOG_LEVEL: 'error',
    MIGRATIONS_RUN: 'false',
    DEMO_API_KEY: 'false',
    ...PUBLIC_LIMITS_FOR_TESTS,
    ...options.env,
  });
  const app = await createApp(config, config.database.appDatabaseUrl ?? db.appUrl, options.modules);
  return {
    app,
    http: app.getHttpServer() as Server,
    db,
    close: async () => {
      await app.close();
      if (!options.db) await db.drop();
    },
  };
}
