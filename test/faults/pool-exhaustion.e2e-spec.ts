import type pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Slow queries hold every pooled connection: new requests must get a 503 problem after the acquire
 * timeout instead of hanging, and once the slow work ends the pool is whole again.
 */
describe('pool exhaustion', () => {
  let t: TestApp;
  let tenant: SeededTenant;
  let pool: pg.Pool;

  beforeAll(async () => {
    t = await startTestApp({ env: { DB_POOL_SIZE: '2', DB_ACQUIRE_TIMEOUT_MS: '400', API_KEY_CACHE_TTL_MS: '60000' } });
    tenant = await seedTenant(t.db.ownerUrl);
    pool = ((t.app.get(DataSource) as DataSource).driver as unknown as { master: pg.Pool }).master;
  });
  afterAll(() => t.close());

  it('answers 503 after the acquire timeout while every connection is busy, then recovers whole', async () => {
    // Warm the API-key cache so the requests below only need their transaction's connection.
    await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', tenant.apiKey).expect(200);

    // The owner locks the tenants table: requests reading it block while holding their connection.
    const { default: pgModule } = await import('pg');
    const locker = new pgModule.Client({ connectionString: t.db.ownerUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE');

    const blocked = [1, 2].map(() => request(t.http).get('/api/v1/tenants/me').set('X-API-Key', tenant.apiKey).then((res) => res));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pool.totalCount).toBe(2);
    expect(pool.idleCount).toBe(0);

    const started = Date.now();
    const refused = await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', tenant.apiKey);
    const waited = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(3000);

    await locker.query('ROLLBACK');
    await locker.end();
    for (const res of await Promise.all(blocked)) expect(res.status).toBe(200);

    // Whole again: no leaked or waiting client, and requests flow.
    expect(pool.waitingCount).toBe(0);
    expect(pool.idleCount).toBe(pool.totalCount);
    const after = await Promise.all([1, 2, 3, 4].map(() => request(t.http).get('/api/v1/tenants/me').set('X-API-Key', tenant.apiKey)));
    expect(after.map((res) => res.status)).toEqual([200, 200, 200, 200]);
    expect(pool.idleCount).toBe(pool.totalCount);
  });
});
