import type { Type } from '@nestjs/common';
import { PgBouncer, pgBouncerAvailable, startPgBouncer } from './pgbouncer.js';
import { startTestApp, TestApp } from './test-app.js';
import { APP_DB_PASSWORD, createTestDatabase } from './test-database.js';

export type Mode = 'direct' | 'pgbouncer';

/** Suites that prove isolation run once straight to PostgreSQL and once through PgBouncer. */
export const MODES: Mode[] = pgBouncerAvailable() ? ['direct', 'pgbouncer'] : ['direct'];
if (!pgBouncerAvailable()) console.warn('pgbouncer is not installed: PgBouncer variants of the isolation suites are skipped');

/**
 * Starts the app on a fresh database, either straight to PostgreSQL or through PgBouncer in
 * transaction pooling mode with `poolSize` server connections (LISTEN still goes direct).
 */
export async function startAppIn(
  mode: Mode,
  options: { poolSize: number; modules?: Type[]; env?: Record<string, string> },
): Promise<TestApp & { bouncer?: PgBouncer }> {
  const env = { DB_POOL_SIZE: String(options.poolSize), ...options.env };
  if (mode === 'direct') return startTestApp({ env, modules: options.modules });
  const db = await createTestDatabase();
  const bouncer = await startPgBouncer(db.ownerUrl, { [db.roles.app]: APP_DB_PASSWORD, postgres: new URL(db.ownerUrl).password }, { poolSize: options.poolSize });
  const t = await startTestApp({
    db,
    // Debian 12's PgBouncer (1.18) cannot route named prepared statements in transaction mode.
    env: { ...env, APP_DATABASE_URL: bouncer.url(db.appUrl), LISTEN_DATABASE_URL: db.appUrl, DB_PREPARED_STATEMENTS: 'false' },
    modules: options.modules,
  });
  return {
    ...t,
    bouncer,
    close: async () => {
      await t.close();
      await bouncer.stop();
      await db.drop();
    },
  };
}
