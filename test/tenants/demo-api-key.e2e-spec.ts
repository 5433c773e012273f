import { startAppProcess } from '../support/app-process.js';
import { seedTenant } from '../support/fixtures.js';
import { buildLegacyDatabase } from '../support/legacy-database.mjs';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const DEMO_KEY = /Demo tenant "default-tenant-001" API key \(shown once, keep it\):\n\n {4}(fgk_live_[A-Za-z0-9_-]{43})\n/;

/** `npm start` (the built main.js) with the demo key on (or `env`), until it serves; then stopped. Its stdout. */
async function startOnce(ownerUrl: string, check?: (baseUrl: string, stdout: string) => Promise<void>, env: Record<string, string> = { DEMO_API_KEY: 'true' }): Promise<string> {
  const app = await startAppProcess(ownerUrl, { LOG_LEVEL: 'warn', ...env });
  try {
    await check?.(app.baseUrl, app.stdout());
    return app.stdout();
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
  }
}

describe('the demo API key of a first start', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => db.drop());

  it('is issued once, through the API-key service under the demo tenant, printed, audited, and works', async () => {
    await startOnce(db.ownerUrl, async (baseUrl, stdout) => {
      const key = DEMO_KEY.exec(stdout)?.[1];
      expect(key).toBeDefined();
      const me = await fetch(`${baseUrl}/api/v1/tenants/me`, { headers: { 'X-API-Key': key! } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { tenant_id: string }).tenant_id).toBe('default-tenant-001');
    });
    const rows = await withClient(db.ownerUrl, async (c) => ({
      keys: (await c.query(`SELECT key_name, scopes, created_by FROM tenant_api_keys`)).rows,
      audit: (await c.query(`SELECT tenant_id, action, new_value FROM audit_logs`)).rows,
    }));
    expect(rows.keys).toEqual([{ key_name: 'Demo key', scopes: ['read:transactions', 'write:transactions', 'read:alerts'], created_by: null }]);
    expect(rows.audit).toEqual([
      expect.objectContaining({ tenant_id: 'default-tenant-001', action: 'api_key.created', new_value: expect.objectContaining({ actor: { operator: 'fraudguard', via: 'demo-api-key' } }) }),
    ]);
    expect(await startOnce(db.ownerUrl)).not.toMatch(/Demo tenant|fgk_live_/);
  });

  it('is not issued in production unless DEMO_API_KEY=true says so', async () => {
    // The app role's own URL: production would otherwise require APP_DB_PASSWORD for the derived one.
    const production = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(32), APP_DATABASE_URL: db.appUrl, LOG_LEVEL: 'info' };
    const log = await startOnce(db.ownerUrl, undefined, { ...production, DEMO_API_KEY: '' });
    expect(log).toMatch(/FraudGuard listening on/);
    expect(log).not.toMatch(/Demo tenant|fgk_live_/);
    const keys = await withClient(db.ownerUrl, (c) => c.query(`SELECT count(*)::int AS n FROM tenant_api_keys`));
    expect(keys.rows[0].n).toBe(0);
    expect(await startOnce(db.ownerUrl, undefined, { ...production, DEMO_API_KEY: 'true' })).toMatch(DEMO_KEY);
  });

  it('is not issued once another tenant exists', async () => {
    await seedTenant(db.ownerUrl);
    expect(await startOnce(db.ownerUrl)).not.toMatch(/Demo tenant|fgk_live_/);
    const keys = await withClient(db.ownerUrl, (c) => c.query(`SELECT count(*)::int AS n FROM tenant_api_keys WHERE tenant_id = 'default-tenant-001'`));
    expect(keys.rows[0].n).toBe(0);
  });

  it('is not issued for a database converted from a single-tenant installation', async () => {
    const legacy = await createTestDatabase({ template: '' });
    try {
      await withClient(legacy.ownerUrl, (client) => buildLegacyDatabase(client, { transactions: 100 }));
      expect(await startOnce(legacy.ownerUrl, undefined, { MIGRATIONS_RUN: 'true' })).not.toMatch(/Demo tenant|fgk_live_/);
      const keys = await withClient(legacy.ownerUrl, (c) => c.query(`SELECT count(*)::int AS n FROM tenant_api_keys`));
      expect(keys.rows[0].n).toBe(0);
    } finally {
      await legacy.drop();
    }
  }, 60_000);
});
