import pg from 'pg';
import request from 'supertest';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';

const TOKEN = 'metrics-token-' + 'y'.repeat(40);

describe('/metrics (Prometheus) behind the operators token', () => {
  let t: TestApp;
  let a: SeededTenant;
  beforeAll(async () => {
    t = await startTestApp({ env: { PLATFORM_ADMIN_TOKEN: TOKEN } });
    a = await seedTenant(t.db.ownerUrl);
  });
  afterAll(() => t.close());

  it('refuses tenants and anonymous callers', async () => {
    await request(t.http).get('/metrics').expect(401);
    await request(t.http).get('/metrics').set('X-API-Key', a.apiKey).expect(401);
    await request(t.http).get('/api/v1/metrics').set('X-Admin-Token', TOKEN).expect(404);
  });

  it('counts requests and latency by route template and status, and reports the app pool', async () => {
    for (let i = 0; i < 3; i++) await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', a.apiKey).expect(200);
    await request(t.http).get('/api/v1/tenants/me').expect(401);
    await request(t.http).get(`/api/v1/no-such-route/${Math.random()}`).expect(404);
    const res = await request(t.http).get('/metrics').set('X-Admin-Token', TOKEN).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(text).toContain('http_requests_total{method="GET",route="/api/v1/tenants/me",status="200"} 3');
    expect(text).toContain('http_requests_total{method="GET",route="/api/v1/tenants/me",status="401"} 1');
    expect(text).toMatch(/http_requests_total\{method="GET",route="unmatched",status="404"\} 2/); // this one and /api/v1/metrics above
    expect(text).not.toContain('no-such-route');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{method="GET",route="\/api\/v1\/tenants\/me",status="200",le="\+Inf"\} 3/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/tenants\/me",status="200"\} 3/);
    expect(text).toMatch(/^db_pool_connections\{pool="app",state="total"\} [1-9]\d*$/m);
    expect(text).toMatch(/^db_pool_connections\{pool="app",state="idle"\} \d+$/m);
    expect(text).toMatch(/^db_pool_waiting_requests\{pool="app"\} 0$/m);
    expect(text).toMatch(/^db_pool_max_connections\{pool="app"\} 10$/m);
  });

  it('reports the audit sealing lag and backlog, and which process leads sealing', async () => {
    const gauges = async () => {
      const text = (await request(t.http).get('/metrics').set('X-Admin-Token', TOKEN).expect(200)).text;
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      return {
        lag: value('fraudguard_audit_seal_lag_seconds'),
        unsealed: value('fraudguard_audit_unsealed_rows'),
        leader: value('fraudguard_audit_sealer_leader'),
        sealed: value('fraudguard_audit_sealed_rows_total'),
      };
    };
    const until = async (check: (g: Awaited<ReturnType<typeof gauges>>) => boolean) => {
      for (const deadline = Date.now() + 10_000; ; ) {
        const g = await gauges();
        if (check(g)) return g;
        if (Date.now() > deadline) throw new Error(`gauges never matched: ${JSON.stringify(g)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await until((g) => g.leader === 1 && g.unsealed === 0 && g.lag === 0);
    // A transaction of this database that holds an xid keeps every later row unsealed.
    const holder = new pg.Client({ connectionString: t.db.ownerUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_current_xact_id()');
      await withClient(t.db.ownerUrl, (c) => c.query(`INSERT INTO audit_logs (tenant_id, action) VALUES ($1, 'probe.lagging')`, [a.tenantId]));
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const held = await gauges();
      expect(held.unsealed).toBe(1);
      expect(held.lag).toBeGreaterThanOrEqual(1);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    // The counter moves once the seal's answer is back, a moment after its COMMIT.
    const after = await until((g) => g.unsealed === 0 && g.sealed >= 1);
    expect(after).toMatchObject({ lag: 0, leader: 1 });
  });
});

describe('/metrics without PLATFORM_ADMIN_TOKEN, and /health/ready with Redis', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('hides /metrics when no operator token is configured', async () => {
    t = await startTestApp();
    await request(t.http).get('/metrics').set('X-Admin-Token', TOKEN).expect(404);
    await request(t.http).get('/health/ready').expect(200, { status: 'ready', database: 'ok' });
  });

  it('checks Redis when REDIS_URL is set', async () => {
    t = await startTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:6379' } });
    await request(t.http).get('/health/ready').expect(200, { status: 'ready', database: 'ok', redis: 'ok' });
  });

  it('is not ready when the configured Redis does not answer', async () => {
    t = await startTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    const res = await request(t.http).get('/health/ready').expect(503);
    expect(res.body.detail).toMatch(/^redis unreachable/);
    await request(t.http).get('/health').expect(200);
  });
});
