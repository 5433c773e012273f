import request from 'supertest';
import { seedTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function setKeyLimit(ownerUrl: string, keyId: number, limit: number): Promise<void> {
  await withClient(ownerUrl, (client) => client.query(`UPDATE tenant_api_keys SET rate_limit_per_minute = $1 WHERE id = $2`, [limit, keyId]));
}

function get(t: TestApp, key: string) {
  return request(t.http).get('/api/v1/tenants/me').set('X-API-Key', key);
}

describe('rate limits in memory', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it("stops a key at its rate_limit_per_minute with 429, Retry-After and RateLimit headers", async () => {
    const tenant = await seedTenant(t.db.ownerUrl);
    await setKeyLimit(t.db.ownerUrl, tenant.apiKeyId, 3);
    for (let i = 1; i <= 3; i++) {
      const ok = await get(t, tenant.apiKey).expect(200);
      expect(ok.headers['ratelimit-policy']).toContain('"key";q=3;w=60');
      expect(ok.headers['ratelimit']).toMatch(new RegExp(`^"key";r=${3 - i};t=\\d+$`));
    }
    const refused = await get(t, tenant.apiKey).expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.type).toMatch(/\/rate-limited$/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit']).toMatch(/^"key";r=0;t=\d+$/);
    // Audited once per bucket and window, however often the client keeps knocking.
    await get(t, tenant.apiKey).expect(429);
    const audited = await withClient(t.db.ownerUrl, (client) =>
      client.query(`SELECT resource_type, resource_id, new_value FROM audit_logs WHERE tenant_id = $1 AND action = 'rate_limit.exceeded'`, [tenant.tenantId]));
    expect(audited.rows).toEqual([{ resource_type: 'api_key', resource_id: String(tenant.apiKeyId), new_value: expect.objectContaining({ bucket: 'key', limit: 3 }) }]);
  });

  it("caps all of a tenant's keys together at the plan's ceiling (STARTER: 600/min)", async () => {
    const tenant = await seedTenant(t.db.ownerUrl, { plan: 'STARTER' });
    const second = await seedTenant(t.db.ownerUrl); // another tenant is not affected
    const keys = [tenant];
    for (let i = 0; i < 2; i++) {
      const extra = await withClient(t.db.ownerUrl, async (client) => {
        const { generateApiKey } = await import('../../src/api-keys/api-key.token.js');
        const issued = generateApiKey();
        const { rows } = await client.query(
          `INSERT INTO tenant_api_keys (tenant_id, key_name, key_hash, key_prefix, rate_limit_per_minute) VALUES ($1, 'k', $2, $3, 1000) RETURNING id`,
          [tenant.tenantId, issued.hash, issued.prefix],
        );
        return { ...tenant, apiKey: issued.key, apiKeyId: rows[0].id };
      });
      keys.push(extra);
    }
    await setKeyLimit(t.db.ownerUrl, tenant.apiKeyId, 1000);
    const responses: request.Response[] = [];
    const started = Date.now();
    // Rounds of 30 until the shared ceiling refuses (or clearly failed to). The bucket refills
    // continuously (600/min = one every 100 ms), so GCRA's bound is the burst plus what refilled
    // while the rounds ran, however fast or slow this machine ran them.
    const refilled = () => Math.ceil((Date.now() - started) / 100);
    for (let round = 0; !responses.some((res) => res.status === 429) && responses.length < 600 + refilled() + 60; round++) {
      responses.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => get(t, keys[(round * 30 + i) % 3].apiKey)))));
    }
    const served = responses.filter((res) => res.status === 200).length;
    expect(served).toBeGreaterThanOrEqual(600); // no key over its own limit (1000/min) was refused first
    expect(served).toBeLessThanOrEqual(600 + refilled());
    expect(served).toBeLessThan(responses.length); // the ceiling did refuse
    const refused = responses.filter((res) => res.status === 429);
    expect(refused.length).toBe(responses.length - served);
    expect(refused[0].body.detail).toMatch(/plan/);
    expect(refused[0].headers['ratelimit-policy']).toContain('"tenant";q=600;w=60');
    await get(t, second.apiKey).expect(200);
  });
});

describe('rate limits shared through Redis', () => {
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    one = await startTestApp({ db, env: { REDIS_URL } });
    two = await startTestApp({ db, env: { REDIS_URL } });
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    await db.drop();
  });

  it('counts requests to two API processes against one limit', async () => {
    const tenant = await seedTenant(db.ownerUrl);
    await setKeyLimit(db.ownerUrl, tenant.apiKeyId, 4);
    await get(one, tenant.apiKey).expect(200);
    await get(two, tenant.apiKey).expect(200);
    await get(one, tenant.apiKey).expect(200);
    const last = await get(two, tenant.apiKey).expect(200);
    expect(last.headers['ratelimit']).toMatch(/^"key";r=0;/);
    await get(one, tenant.apiKey).expect(429);
    await get(two, tenant.apiKey).expect(429);
  });
});

describe('rate limits when Redis is unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Nothing listens on port 1: every Redis call fails at once.
    t = await startTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_TIMEOUT_MS: '100' } });
  });
  afterAll(() => t.close());

  it('fails open to per-process counting: requests are served, never hang, limits still apply', async () => {
    const tenant = await seedTenant(t.db.ownerUrl);
    await setKeyLimit(t.db.ownerUrl, tenant.apiKeyId, 2);
    const started = Date.now();
    await get(t, tenant.apiKey).expect(200);
    await get(t, tenant.apiKey).expect(200);
    await get(t, tenant.apiKey).expect(429);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
