import net from 'node:net';
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

/**
 * A Redis that connects and passes the client's ready check (INFO), then never answers another
 * command: what a stalled or overloaded server looks like. Counts the EVALs it swallows.
 */
async function hangingRedis(): Promise<{ url: string; evals(): number; readyChecks(): number; close(): Promise<void> }> {
  let evals = 0;
  let readyChecks = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let hung = false;
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => {
      // Command names, in order, of the RESP arrays in this chunk (the tests' commands fit one chunk).
      for (const [, name] of chunk.toString('latin1').matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)) {
        const command = name.toLowerCase();
        if (command === 'eval') evals += 1;
        if (hung || command === 'eval' || command === 'ping') {
          hung = true; // replies are in order: nothing after the first unanswered command
          continue;
        }
        if (command === 'info') {
          readyChecks += 1;
          const info = '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n';
          socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
        } else {
          socket.write('+OK\r\n');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    evals: () => evals,
    readyChecks: () => readyChecks,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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

  it('stays ready with Redis degraded when the configured Redis refuses connections, and says so in /metrics', async () => {
    t = await startTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1', PLATFORM_ADMIN_TOKEN: TOKEN } });
    await request(t.http).get('/health/ready').expect(200, { status: 'ready', database: 'ok', redis: 'degraded' });
    await request(t.http).get('/health').expect(200);
    const metrics = async () => (await request(t.http).get('/metrics').set('X-Admin-Token', TOKEN).expect(200)).text;
    await waitFor(async () => /^fraudguard_redis_degraded 1$/m.test(await metrics()));
  });

  it('skips a Redis that hangs for a back-off period instead of costing every request its timeout', async () => {
    const redis = await hangingRedis();
    try {
      t = await startTestApp({ env: { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '100', REDIS_BACKOFF_MS: '600000', PLATFORM_ADMIN_TOKEN: TOKEN } });
      const tenant = await seedTenant(t.db.ownerUrl);
      await waitFor(async () => redis.readyChecks() > 0); // the rate limiter's connection is up
      for (let i = 0; i < 10; i++) await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', tenant.apiKey).expect(200);
      // At most three timed-out attempts, then none for the back-off period: the rest were counted in memory.
      expect(redis.evals()).toBeGreaterThanOrEqual(1);
      expect(redis.evals()).toBeLessThanOrEqual(3);
      expect((await request(t.http).get('/metrics').set('X-Admin-Token', TOKEN).expect(200)).text).toMatch(/^fraudguard_redis_degraded 1$/m);
      await request(t.http).get('/health/ready').expect(200, { status: 'ready', database: 'ok', redis: 'degraded' });
    } finally {
      await redis.close();
    }
  });
});
