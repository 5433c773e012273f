import { spawn } from 'node:child_process';
import path from 'node:path';
import { startAppProcess, type AppProcess } from '../support/app-process.js';
import { seedTenant } from '../support/fixtures.js';
import { INTEGRATOR_FLOW_OK, runIntegratorFlow } from '../support/integrator-flow.js';
import { buildLegacyDatabase } from '../support/legacy-database.mjs';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const DEMO_KEY = /Demo tenant "default-tenant-001" API key \(shown once, keep it\):\n\n {4}(fgk_live_[A-Za-z0-9_-]{43})\n/;
const DEMO_LOGIN = /Demo ADMIN login \(development only, shown once\): (\S+) \/ (\S+)\n/;
/** The banner's first line: every start that prints a banner (first or later) prints it last. */
const READY = /\n {2}FraudGuard is ready: /;

/** Resolves once the process has printed its start-up banner (every start with DEMO_API_KEY on prints one, last). */
async function settled(app: AppProcess, env: Record<string, string>): Promise<void> {
  const banner = env.DEMO_API_KEY === 'true'; // startAppProcess sets DEMO_API_KEY=false unless told
  while (banner && !READY.test(app.stdout())) {
    if (app.child.exitCode !== null) throw new Error(`exited before its banner:\n${app.stdout()}\n${app.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `npm start` (the built main.js) with the demo key on (or `env`), until it serves; then stopped. Its stdout. */
async function startOnce(ownerUrl: string, check?: (baseUrl: string, stdout: string) => Promise<void>, env: Record<string, string> = { DEMO_API_KEY: 'true' }): Promise<string> {
  const app = await startAppProcess(ownerUrl, { LOG_LEVEL: 'warn', ...env });
  try {
    await settled(app, env);
    await check?.(app.baseUrl, app.stdout());
    return app.stdout();
  } finally {
    app.child.kill('SIGTERM');
    await app.exited;
  }
}

/** `npm run cli -- …` as a child process. */
function cli(ownerUrl: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('dist/src/admin/cli.js'), ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: ownerUrl, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the demo API key of a first start', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => db.drop());

  it('is issued once with the integrator scopes, printed last with a demo ADMIN login, audited, and both drive the whole flow', async () => {
    const first = await startOnce(
      db.ownerUrl,
      async (baseUrl, stdout) => {
        const key = DEMO_KEY.exec(stdout)?.[1];
        expect(key).toBeDefined();
        expect(await runIntegratorFlow(baseUrl, { 'X-API-Key': key! }, 'demo-key')).toEqual(INTEGRATOR_FLOW_OK);
        const [, email, password] = DEMO_LOGIN.exec(stdout) ?? [];
        expect(email).toBe('admin@demo.com');
        const login = await fetch(`${baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
        expect(login.status).toBe(200);
        const { access_token } = (await login.json()) as { access_token: string };
        expect(await runIntegratorFlow(baseUrl, { Authorization: `Bearer ${access_token}` }, 'demo-login')).toEqual(INTEGRATOR_FLOW_OK);
      },
      { DEMO_API_KEY: 'true', LOG_LEVEL: 'info' },
    );
    // The banner comes after Nest's start-up lines and "listening"; the routes are logged at debug only.
    const banner = first.search(READY);
    expect(banner).toBeGreaterThan(first.indexOf('FraudGuard listening on'));
    expect(banner).toBeGreaterThan(first.indexOf('Nest application successfully started'));
    expect(first).not.toMatch(/Mapped \{/);
    const rows = await withClient(db.ownerUrl, async (c) => ({
      keys: (await c.query(`SELECT key_name, scopes, created_by FROM tenant_api_keys ORDER BY id`)).rows,
      users: (await c.query(`SELECT email, role FROM tenant_users`)).rows,
      audit: (await c.query(`SELECT tenant_id, action, new_value FROM audit_logs WHERE action IN ('api_key.created', 'user.created') ORDER BY id`)).rows,
    }));
    expect(rows.keys).toEqual([
      { key_name: 'Demo key', scopes: ['read:transactions', 'write:transactions', 'read:accounts', 'write:accounts', 'read:alerts', 'write:alerts', 'read:audit'], created_by: null },
    ]);
    expect(rows.users).toEqual([{ email: 'admin@demo.com', role: 'ADMIN' }]);
    const actor = { actor: { operator: 'fraudguard', via: 'demo-api-key' } };
    expect(rows.audit).toEqual([
      expect.objectContaining({ tenant_id: 'default-tenant-001', action: 'api_key.created', new_value: expect.objectContaining(actor) }),
      expect.objectContaining({ tenant_id: 'default-tenant-001', action: 'user.created', new_value: expect.objectContaining(actor) }),
    ]);

    // A later start shows no key, and says how to get another one; that command works.
    const later = await startOnce(db.ownerUrl);
    expect(later).not.toMatch(/Demo tenant|fgk_live_|Demo ADMIN/);
    expect(later).toMatch(/Another API key: +npm run cli -- apikey:create --tenant default-tenant-001 --name <name>/);
    expect(later).toMatch(/A login: +npm run cli -- user:create --tenant default-tenant-001 --email <e-mail>/);
    const another = await cli(db.ownerUrl, ['apikey:create', '--tenant', 'default-tenant-001', '--name', 'another', '--json']);
    expect(another.code).toBe(0);
    const key = JSON.parse(another.stdout).api_key;
    const app = await startAppProcess(db.ownerUrl);
    try {
      expect(await runIntegratorFlow(app.baseUrl, { 'X-API-Key': key }, 'cli-key')).toEqual(INTEGRATOR_FLOW_OK);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  }, 90_000);

  it('is not issued in production unless DEMO_API_KEY=true says so', async () => {
    // The app role's own URL: production would otherwise require APP_DB_PASSWORD for the derived one.
    const production = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(32), APP_DATABASE_URL: db.appUrl, LOG_LEVEL: 'info' };
    const log = await startOnce(db.ownerUrl, undefined, { ...production, DEMO_API_KEY: '' });
    expect(log).toMatch(/FraudGuard listening on/);
    expect(log).not.toMatch(/Demo tenant|fgk_live_/);
    const keys = await withClient(db.ownerUrl, (c) => c.query(`SELECT count(*)::int AS n FROM tenant_api_keys`));
    expect(keys.rows[0].n).toBe(0);
    const withKey = await startOnce(db.ownerUrl, undefined, { ...production, DEMO_API_KEY: 'true' });
    expect(withKey).toMatch(DEMO_KEY);
    // Never a demo login in production, even with the key asked for.
    expect(withKey).not.toMatch(/Demo ADMIN|admin@demo\.com/);
    const users = await withClient(db.ownerUrl, (c) => c.query(`SELECT count(*)::int AS n FROM tenant_users`));
    expect(users.rows[0].n).toBe(0);
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
      expect(await startOnce(legacy.ownerUrl, undefined, { MIGRATIONS_RUN: 'true', DEMO_API_KEY: 'true' })).not.toMatch(/Demo tenant|fgk_live_/);
      const keys = await withClient(legacy.ownerUrl, (c) => c.query(`SELECT count(*)::int AS n FROM tenant_api_keys`));
      expect(keys.rows[0].n).toBe(0);
    } finally {
      await legacy.drop();
    }
  }, 240_000);
});
