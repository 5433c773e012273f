import pg from 'pg';
import request from 'supertest';
import { sealNow, unsealedRows } from '../support/audit-seal.js';
import { AuditProbeModule } from '../support/audit-probe.module.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { createTestDatabase, withClient } from '../support/test-database.js';

const AUDIT_SCOPES = ['read:transactions', 'read:audit'];

interface ChainRow {
  id: string;
  seq: number | null;
  txid: string;
  action: string;
  request_id: string | null;
  prev_hash: string | null;
  hash: string | null;
}

/**
 * Sealing without a tenant-wide lock. The app's own sealer is off here: each test seals
 * when it chooses, through the same seal pass the leader and `audit:seal` run (sealNow).
 */
describe('audit chain sealing', () => {
  let t: TestApp;

  const verify = async (tenant: SeededTenant) =>
    (await request(t.http).get('/api/v1/audit-logs/verify').set('X-API-Key', tenant.apiKey).expect(200)).body;
  const write = (tenant: SeededTenant, body: Record<string, unknown>, requestId?: string) => {
    const call = request(t.http).post('/api/v1/probe/audit').set('X-API-Key', tenant.apiKey);
    return (requestId ? call.set('X-Request-Id', requestId) : call).send(body).expect(201);
  };
  const chain = (tenant: SeededTenant): Promise<ChainRow[]> =>
    withClient(t.db.ownerUrl, (c) =>
      c
        .query(`SELECT id::text, seq::int, txid::text, action, request_id, prev_hash, hash FROM audit_logs WHERE tenant_id = $1 ORDER BY seq NULLS FIRST, id`, [tenant.tenantId])
        .then((r) => r.rows),
    );
  /** An app-role session inside one of the tenant's transactions, as a request would hold it. */
  const openTransaction = async (tenant: SeededTenant): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: t.db.appUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.current_tenant', $1, true)`, [tenant.tenantId]);
    return client;
  };
  const sealedTenant = async (rows: number): Promise<{ tenant: SeededTenant; ids: string[] }> => {
    const tenant = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    for (let i = 0; i < rows; i++) await write(tenant, { action: 'probe.step', resource_id: i });
    await sealNow(t.db.appUrl, tenant.tenantId);
    return { tenant, ids: (await chain(tenant)).map((row) => row.id) };
  };

  beforeAll(async () => {
    t = await startTestApp({ modules: [AuditProbeModule], env: { AUDIT_SEALER: 'false' } });
  });
  afterAll(() => t.close());

  it('seals 50 concurrent writers of one tenant into one chain: every row once, none for writers that rolled back', async () => {
    const tenant = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    const writers = Array.from({ length: 50 }, (_, i) => write(tenant, { action: 'probe.concurrent', resource_id: i }, `writer-${i}`));
    // Requests that write an audit row and then fail (their refusal row is written detached and stays),
    // and direct transactions that write one and roll back: none of theirs may leave a hole.
    const failing = Array.from({ length: 10 }, () => request(t.http).post('/api/v1/probe/audit/refuse').set('X-API-Key', tenant.apiKey).expect(429));
    const rolledBack = Array.from({ length: 5 }, async () => {
      const client = await openTransaction(tenant);
      try {
        await client.query(`INSERT INTO audit_logs (tenant_id, action) VALUES ($1, 'probe.direct_rollback')`, [tenant.tenantId]);
        await client.query('ROLLBACK');
      } finally {
        await client.end();
      }
    });
    await Promise.all([...writers, ...failing, ...rolledBack]);

    expect(await verify(tenant)).toEqual({ valid: true, checked: 0, first_broken_id: null, pending: 60 });
    expect(await sealNow(t.db.appUrl, tenant.tenantId)).toBe(60);
    expect(await verify(tenant)).toEqual({ valid: true, checked: 60, first_broken_id: null, pending: 0 });

    const rows = await chain(tenant);
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(new Set(rows.map((row) => row.id)).size).toBe(60);
    expect(rows.filter((row) => row.action === 'probe.concurrent').map((row) => row.request_id).sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => `writer-${i}`).sort(),
    );
    expect(rows.filter((row) => row.action === 'quota.refused')).toHaveLength(10);
    expect(rows.filter((row) => ['probe.rolled_back', 'probe.direct_rollback'].includes(row.action))).toEqual([]);
    // Chain order is (txid, id), and each row links to the one before.
    const byTxid = [...rows].sort((x, y) => (BigInt(x.txid) === BigInt(y.txid) ? Number(BigInt(x.id) - BigInt(y.id)) : BigInt(x.txid) < BigInt(y.txid) ? -1 : 1));
    expect(byTxid.map((row) => row.id)).toEqual(rows.map((row) => row.id));
    expect(rows[0].prev_hash).toBeNull();
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
    const [head] = (await withClient(t.db.ownerUrl, (c) => c.query(`SELECT seq::int, last_id::text, hash FROM audit_chain_heads WHERE tenant_id = $1`, [tenant.tenantId]))).rows;
    expect(head).toEqual({ seq: 60, last_id: rows[59].id, hash: rows[59].hash });
    expect(await sealNow(t.db.appUrl, tenant.tenantId)).toBe(0);
  });

  it('lets a second writer of the tenant commit while another audited transaction is still open, and seals past it only once it ends', async () => {
    const tenant = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    const open = await openTransaction(tenant);
    try {
      await open.query(`INSERT INTO audit_logs (tenant_id, action) VALUES ($1, 'probe.slow')`, [tenant.tenantId]);
      // No per-tenant lock: this request commits while the transaction above still holds its audit row.
      await write(tenant, { action: 'probe.fast' });
      await write(tenant, { action: 'probe.faster' });
      // The open transaction's xid is below the committed rows': sealing them now could put its row
      // below the sealed prefix once it commits, so they wait.
      expect(await sealOnce(tenant)).toBe(0);
      expect(await verify(tenant)).toEqual({ valid: true, checked: 0, first_broken_id: null, pending: 2 });
      await open.query('COMMIT');
    } finally {
      await open.end();
    }
    expect(await sealNow(t.db.appUrl, tenant.tenantId)).toBe(3);
    expect((await chain(tenant)).map((row) => [row.action, row.seq])).toEqual([['probe.slow', 1], ['probe.fast', 2], ['probe.faster', 3]]);
    expect(await verify(tenant)).toEqual({ valid: true, checked: 3, first_broken_id: null, pending: 0 });
  });

  it('is not held back by a transaction of another database on the same server', async () => {
    const tenant = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    const elsewhere = await createTestDatabase();
    const other = new pg.Client({ connectionString: elsewhere.ownerUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()');
      await write(tenant, { action: 'probe.while_elsewhere' });
      expect(await sealOnce(tenant)).toBe(1);
      await other.query('ROLLBACK');
    } finally {
      await other.end();
      await elsewhere.drop();
    }
  });

  it('reports an edited, deleted or moved sealed row, and a deleted tail, as the first broken id', async () => {
    const tamper = (sql: string, params: unknown[]) => withClient(t.db.ownerUrl, (c) => c.query(sql, params));

    const edited = await sealedTenant(6);
    await tamper(`UPDATE audit_logs SET new_value = '{"rewritten": true}' WHERE tenant_id = $1 AND id = $2`, [edited.tenant.tenantId, edited.ids[2]]);
    expect(await verify(edited.tenant)).toEqual({ valid: false, checked: 6, first_broken_id: edited.ids[2], pending: 0 });

    const deleted = await sealedTenant(6);
    await tamper(`DELETE FROM audit_logs WHERE tenant_id = $1 AND id = $2`, [deleted.tenant.tenantId, deleted.ids[2]]);
    expect(await verify(deleted.tenant)).toEqual({ valid: false, checked: 5, first_broken_id: deleted.ids[3], pending: 0 });

    // Rows 2 and 4 trade places in the chain: the row now second no longer links to the first.
    const swapped = await sealedTenant(6);
    await tamper(
      `UPDATE audit_logs SET seq = CASE seq WHEN 2 THEN 4 ELSE 2 END WHERE tenant_id = $1 AND seq IN (2, 4)`,
      [swapped.tenant.tenantId],
    );
    expect(await verify(swapped.tenant)).toEqual({ valid: false, checked: 6, first_broken_id: swapped.ids[3], pending: 0 });

    // The newest row gone: the rest still links up, but the chain no longer ends at its head.
    const truncated = await sealedTenant(6);
    await tamper(`DELETE FROM audit_logs WHERE tenant_id = $1 AND id = $2`, [truncated.tenant.tenantId, truncated.ids[5]]);
    expect(await verify(truncated.tenant)).toEqual({ valid: false, checked: 5, first_broken_id: truncated.ids[5], pending: 0 });

    // A row taken out of the chain by clearing its seal is counted as pending, and its absence breaks the chain.
    const unsealed = await sealedTenant(6);
    await tamper(`UPDATE audit_logs SET seq = NULL, prev_hash = NULL, hash = NULL WHERE tenant_id = $1 AND id = $2`, [unsealed.tenant.tenantId, unsealed.ids[1]]);
    expect(await verify(unsealed.tenant)).toEqual({ valid: false, checked: 5, first_broken_id: unsealed.ids[2], pending: 1 });

    // Sealing goes on after tampering, and the break stays reported.
    await write(edited.tenant, { action: 'probe.after' });
    await sealNow(t.db.appUrl, edited.tenant.tenantId);
    expect(await verify(edited.tenant)).toEqual({ valid: false, checked: 7, first_broken_id: edited.ids[2], pending: 0 });
    // The untouched chain of the first test is still valid.
    const intact = await sealedTenant(3);
    expect(await verify(intact.tenant)).toEqual({ valid: true, checked: 3, first_broken_id: null, pending: 0 });
  });

  it('refuses to seal without a tenant, and seals only the tenant that is set', async () => {
    const a = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    const b = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    await write(a, { action: 'probe.a' });
    await write(b, { action: 'probe.b' });
    await withClient(t.db.appUrl, async (c) => {
      await expect(c.query('SELECT fg_audit_seal(10)')).rejects.toThrow(/needs app.current_tenant/);
    });
    expect(await sealOnce(a)).toBe(1);
    await withClient(t.db.ownerUrl, async (c) => {
      expect(await unsealedRows(c, a.tenantId)).toBe(0);
      expect(await unsealedRows(c, b.tenantId)).toBe(1);
    });
  });

  /** One fg_audit_seal call for the tenant, as the app role. */
  async function sealOnce(tenant: SeededTenant): Promise<number> {
    const client = await openTransaction(tenant);
    try {
      const { rows } = await client.query('SELECT fg_audit_seal(1000) AS sealed');
      await client.query('COMMIT');
      return rows[0].sealed;
    } finally {
      await client.end();
    }
  }
});
