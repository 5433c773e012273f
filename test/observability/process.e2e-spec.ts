import pg from 'pg';
import { startAppProcess } from '../support/app-process.js';
import { seedTenant } from '../support/fixtures.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const TOKEN = 'process-token-' + 'z'.repeat(40);

function jsonLines(text: string): any[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

describe('the deployed process: structured logs and graceful shutdown', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('logs JSON lines with request_id and tenant_id, never a credential, and honours LOG_LEVEL', async () => {
    const tenant = await seedTenant(db.ownerUrl);
    const app = await startAppProcess(db.ownerUrl, { LOG_LEVEL: 'debug', PLATFORM_ADMIN_TOKEN: TOKEN });
    try {
      const res = await fetch(`${app.baseUrl}/api/v1/tenants/me`, {
        headers: { 'X-API-Key': tenant.apiKey, 'X-Request-Id': 'log-test-1', Cookie: 'session=abc' },
      });
      expect(res.status).toBe(200);
      // A bogus bearer next to the key is refused (401); it must not reach the logs either.
      const refused = await fetch(`${app.baseUrl}/api/v1/tenants/me`, {
        headers: { 'X-API-Key': tenant.apiKey, 'X-Request-Id': 'log-test-2', Authorization: 'Bearer not-a-real-jwt' },
      });
      expect(refused.status).toBe(401);
      await fetch(`${app.baseUrl}/metrics`, { headers: { 'X-Admin-Token': TOKEN } });
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    const lines = jsonLines(app.stdout());
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toEqual(expect.objectContaining({ level: expect.any(String), time: expect.any(String), service: 'fraudguard' }));
    const completed = lines.find((line) => line.request_id === 'log-test-1' && line.msg === 'request completed');
    expect(completed).toMatchObject({ level: 'debug', tenant_id: tenant.tenantId, route: '/api/v1/tenants/me', status: 200 });
    const all = app.stdout() + app.stderr();
    expect(all).not.toContain(tenant.apiKey);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('not-a-real-jwt');
    expect(all).not.toContain('session=abc');

    const quiet = await startAppProcess(db.ownerUrl, { LOG_LEVEL: 'warn' });
    try {
      await fetch(`${quiet.baseUrl}/api/v1/tenants/me`, { headers: { 'X-API-Key': tenant.apiKey } });
    } finally {
      quiet.child.kill('SIGTERM');
      await quiet.exited;
    }
    expect(jsonLines(quiet.stdout()).filter((line) => ['debug', 'info'].includes(line.level))).toEqual([]);
  });

  it('on SIGTERM finishes the in-flight request, refuses new ones, releases every connection and exits 0', async () => {
    const tenant = await seedTenant(db.ownerUrl);
    const app = await startAppProcess(db.ownerUrl);
    await fetch(`${app.baseUrl}/api/v1/tenants/me`, { headers: { 'X-API-Key': tenant.apiKey } }); // warm the pool
    const blocker = new pg.Client({ connectionString: db.ownerUrl });
    await blocker.connect();
    try {
      // Hold the tenants table so the next request stays in flight until we let go (under the
      // app role's 5 s lock_timeout).
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE');
      const inFlight = fetch(`${app.baseUrl}/api/v1/tenants/me`, { headers: { 'X-API-Key': tenant.apiKey, Connection: 'close' } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      app.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      await expect(fetch(`${app.baseUrl}/health`, { headers: { Connection: 'close' } })).rejects.toThrow();
      expect(app.child.exitCode).toBeNull(); // still draining
      await blocker.query('ROLLBACK');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { tenant_id: string }).tenant_id).toBe(tenant.tenantId);
    } finally {
      await blocker.end();
    }
    expect(await app.exited).toEqual({ code: 0, signal: null });
    const left = await withClient(db.ownerUrl, (c) =>
      c.query(`SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'fraudguard-%'`).then((r) => r.rows),
    );
    expect(left).toEqual([]);
  });
});
