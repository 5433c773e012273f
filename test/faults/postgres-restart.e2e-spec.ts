import request from 'supertest';
import { appRoleUrl } from '../../src/config/database.config.js';
import { createOwnerDataSource } from '../../src/database/data-source.js';
import { readDeploymentRoles } from '../../src/database/roles.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { PrivateCluster, startPrivateCluster, systemPostgresBin } from '../support/private-cluster.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { APP_DB_PASSWORD, withClient } from '../support/test-database.js';

const BIN = systemPostgresBin();
const describeWithServer = BIN ? describe : describe.skip;
if (!BIN) console.warn('no PostgreSQL server binaries under /usr/lib/postgresql: the restart test is skipped');

/**
 * PostgreSQL restarts while ingest traffic runs (a private cluster, so nothing else is
 * disturbed): requests fail fast with 503 problems, the app recovers by itself, and afterwards
 * exactly the transactions that got a 201 are in the database.
 */
describeWithServer('PostgreSQL restart under load', () => {
  let cluster: PrivateCluster;
  let t: TestApp;
  let tenant: SeededTenant;
  let ownerUrl: string;

  beforeAll(async () => {
    cluster = await startPrivateCluster(BIN!);
    ownerUrl = cluster.url;
    const owner = createOwnerDataSource(ownerUrl);
    await owner.initialize();
    await owner.runMigrations();
    const roles = await readDeploymentRoles(owner);
    await owner.destroy();
    t = await startTestApp({
      db: { name: 'postgres', ownerUrl, appUrl: appRoleUrl(ownerUrl, roles.app, APP_DB_PASSWORD), roles, drop: async () => undefined },
      env: { DB_POOL_SIZE: '4', DB_ACQUIRE_TIMEOUT_MS: '1000', RATE_LIMIT_ENABLED: 'false' },
    });
    tenant = await seedTenant(ownerUrl);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await cluster?.destroy();
  });

  it('fails fast with 503 while PostgreSQL is down, recovers, and keeps exactly the acknowledged writes', async () => {
    const acknowledged = new Set<string>();
    const outcomes: number[] = [];
    let running = true;
    let sequence = 0;

    async function client(): Promise<void> {
      while (running) {
        const ref = `ext-${sequence++}`;
        const started = Date.now();
        const res = await request(t.http)
          .post('/api/v1/transactions')
          .set('X-API-Key', tenant.apiKey)
          .send({ account_ref: 'acct-restart', amount: '12.50', currency: 'EUR', merchant: 'Restart Shop', external_id: ref })
          .catch(() => undefined);
        if (!res) continue;
        outcomes.push(res.status);
        if (res.status === 201) acknowledged.add(ref);
        else {
          expect(res.status).toBe(503);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(Date.now() - started).toBeLessThan(5000); // fail fast, never hang
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }

    const clients = [client(), client(), client()];
    await new Promise((resolve) => setTimeout(resolve, 700));
    await cluster.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await cluster.start();

    // The app recovers by itself within seconds.
    const deadline = Date.now() + 15_000;
    let recoveredAt = 0;
    while (Date.now() < deadline) {
      const res = await request(t.http).get('/health/ready');
      if (res.status === 200) {
        recoveredAt = Date.now();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(recoveredAt).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 700));
    running = false;
    await Promise.all(clients);

    expect(outcomes.filter((status) => status === 503).length).toBeGreaterThan(0);
    expect(outcomes.filter((status) => status === 201).length).toBeGreaterThan(0);
    const tail = outcomes.slice(-5);
    expect(tail.every((status) => status === 201)).toBe(true);

    const stored = await withClient(ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT external_id FROM transactions WHERE tenant_id = $1`, [tenant.tenantId]);
      return new Set(rows.map((row) => row.external_id as string));
    });
    expect([...acknowledged].filter((ref) => !stored.has(ref))).toEqual([]); // every 201 is there
    expect([...stored].filter((ref) => !acknowledged.has(ref))).toEqual([]); // nothing else is
  });
});
