import { AppProcess, startAppProcess } from '../support/app-process.js';
import { waitForSealed } from '../support/audit-seal.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const TOKEN = 'sealer-failover-token-' + 'z'.repeat(32);
const ROWS = 40_000;
const BATCH = 10_000;

async function gauge(app: AppProcess, name: string): Promise<number | undefined> {
  const res = await fetch(`${app.baseUrl}/metrics`, { headers: { 'X-Admin-Token': TOKEN } });
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(await res.text());
  return match ? Number(match[1]) : undefined;
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Two real API processes on one database: one leads sealing, the other waits for the lock. The
 * leader is killed (SIGKILL) while a seal transaction is running; the other takes over and finishes.
 */
describe('audit sealer: the leader killed mid-seal', () => {
  let db: TestDatabase;
  let tenant: SeededTenant;
  let leader: AppProcess;
  let follower: AppProcess;
  const env = { PLATFORM_ADMIN_TOKEN: TOKEN, AUDIT_SEAL_BATCH: String(BATCH), LOG_LEVEL: 'warn' };

  beforeAll(async () => {
    db = await createTestDatabase();
    tenant = await seedTenant(db.ownerUrl, { scopes: ['read:audit'] });
    leader = await startAppProcess(db.ownerUrl, env);
    await eventually(async () => (await gauge(leader, 'fraudguard_audit_sealer_leader')) === 1, 'the first process to lead');
    follower = await startAppProcess(db.ownerUrl, env);
  });
  afterAll(async () => {
    for (const app of [leader, follower]) if (app && app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    await Promise.all([leader?.exited, follower?.exited]);
    await db.drop();
  });

  it('lets the other process finish sealing, and seals no row twice', async () => {
    // The follower asks for the lock every second and must not get it while the leader lives.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await gauge(follower, 'fraudguard_audit_sealer_leader')).toBe(0);

    await withClient(db.ownerUrl, (c) =>
      c.query(`INSERT INTO audit_logs (tenant_id, action, new_value) SELECT $1, 'bulk.row', jsonb_build_object('n', g) FROM generate_series(1, ${ROWS}) g`, [tenant.tenantId]),
    );
    // Kill the leader while its sealer session runs fg_audit_seal, after at least one batch committed.
    await withClient(db.ownerUrl, (c) =>
      eventually(async () => {
        const { rows } = await c.query(
          `SELECT (SELECT count(*) FROM audit_logs WHERE tenant_id = $1 AND seq IS NOT NULL)::int AS sealed,
                  EXISTS (SELECT FROM pg_stat_activity s JOIN pg_locks l ON l.pid = s.pid AND l.locktype = 'advisory' AND l.granted
                           WHERE s.datname = current_database() AND s.state = 'active' AND s.query LIKE '%fg_audit_seal(%') AS sealing`,
          [tenant.tenantId],
        );
        return rows[0].sealed > 0 && rows[0].sealed < ROWS && rows[0].sealing;
      }, 'the leader to be mid-seal'),
    );
    leader.child.kill('SIGKILL');
    expect(await leader.exited).toEqual({ code: null, signal: 'SIGKILL' });

    await waitForSealed(db.ownerUrl, tenant.tenantId, 60_000);
    expect(await gauge(follower, 'fraudguard_audit_sealer_leader')).toBe(1);
    expect(await gauge(follower, 'fraudguard_audit_sealed_rows_total')).toBeGreaterThan(0);
    expect(await gauge(follower, 'fraudguard_audit_unsealed_rows')).toBe(0);

    await withClient(db.ownerUrl, async (c) => {
      const { rows } = await c.query(
        `SELECT count(*)::int AS n, count(DISTINCT seq)::int AS seqs, min(seq)::int AS first, max(seq)::int AS last, count(hash)::int AS hashed
           FROM audit_logs WHERE tenant_id = $1`,
        [tenant.tenantId],
      );
      expect(rows[0]).toEqual({ n: ROWS, seqs: ROWS, first: 1, last: ROWS, hashed: ROWS });
    });
    const res = await fetch(`${follower.baseUrl}/api/v1/audit-logs/verify`, { headers: { 'X-API-Key': tenant.apiKey } });
    expect(await res.json()).toEqual({ valid: true, checked: ROWS, first_broken_id: null, pending: 0 });
  });
});
