import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { AuditProbeModule } from '../support/audit-probe.module.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';
import { waitForSealed } from '../support/audit-seal.js';

const AUDIT_SCOPES = ['read:transactions', 'read:audit'];

describe('audit trail: hash chain, verify, list and exports', () => {
  // Rows are sealed into the chain by the app's sealer shortly after they commit: tests that look at
  // hashes or verify wait for it (waitForSealed) rather than expecting them at insert.
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;

  const write = (tenant: SeededTenant, body: Record<string, unknown>) =>
    request(t.http).post('/api/v1/probe/audit').set('X-API-Key', tenant.apiKey).send(body).expect(201);
  const verify = async (tenant: SeededTenant) =>
    (await request(t.http).get('/api/v1/audit-logs/verify').set('X-API-Key', tenant.apiKey).expect(200)).body;

  beforeAll(async () => {
    t = await startTestApp({ modules: [AuditProbeModule] });
    a = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    b = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
  });
  afterAll(() => t.close());

  it('records the actor, request and values, and never a secret', async () => {
    const res = await request(t.http)
      .post('/api/v1/probe/audit')
      .set('X-API-Key', a.apiKey)
      .set('User-Agent', 'audit-test/1.0')
      .set('X-Request-Id', 'req-audit-1')
      .send({
        action: 'user.changed',
        resource_type: 'user',
        resource_id: 9,
        old_value: { email: 'old@x.example', password_hash: '$argon2id$secret' },
        new_value: { email: 'new@x.example', password: 'hunter2', nested: { api_key: 'fgk_live_secret-probe-key', keyHash: 'abc', refreshToken: 't' } },
      })
      .expect(201);
    expect(res.body).toEqual({ ok: true });
    await waitForSealed(t.db.ownerUrl, a.tenantId);
    const rows = await withClient(t.db.ownerUrl, (c) =>
      c.query(`SELECT * FROM audit_logs WHERE tenant_id = $1 AND request_id = 'req-audit-1'`, [a.tenantId]).then((r) => r.rows),
    );
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row).toMatchObject({ action: 'user.changed', resource_type: 'user', resource_id: '9', user_agent: 'audit-test/1.0', severity: 'INFO' });
    expect(row.old_value).toEqual({ email: 'old@x.example', password_hash: '[REDACTED]' });
    expect(row.new_value).toEqual({
      email: 'new@x.example',
      password: '[REDACTED]',
      nested: { api_key: '[REDACTED]', keyHash: '[REDACTED]', refreshToken: '[REDACTED]' },
      actor: { api_key_id: a.apiKeyId, api_key_prefix: a.apiKey.slice(0, 16) },
    });
    expect(JSON.stringify(row)).not.toMatch(/hunter2|argon2id|secret-probe-key/);
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('chains every row to the previous one of the same tenant, also under concurrent writers', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => write(a, { action: 'probe.concurrent', resource_id: i })));
    await Promise.all(Array.from({ length: 5 }, () => write(b, { action: 'probe.concurrent' })));
    await waitForSealed(t.db.ownerUrl);
    const rows = await withClient(t.db.ownerUrl, (c) =>
      c.query(`SELECT id, seq::int, prev_hash, hash FROM audit_logs WHERE tenant_id = $1 ORDER BY seq`, [a.tenantId]).then((r) => r.rows),
    );
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(rows[0].prev_hash).toBeNull();
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
    expect(await verify(a)).toEqual({ valid: true, checked: 21, first_broken_id: null, pending: 0 });
    expect(await verify(b)).toEqual({ valid: true, checked: 5, first_broken_id: null, pending: 0 });
  });

  it('ignores a hash, link, position or transaction supplied by the writer: the database sets them', async () => {
    await withClient(t.db.appUrl, async (c) => {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.current_tenant', $1, true)`, [b.tenantId]);
      await c.query(`INSERT INTO audit_logs (tenant_id, action, prev_hash, hash, seq, txid) VALUES ($1, 'forged', $2, $2, 1, 1)`, [b.tenantId, 'f'.repeat(64)]);
      const [row] = (await c.query(`SELECT prev_hash, hash, seq, txid = pg_current_xact_id()::text::bigint AS own_txid FROM audit_logs WHERE action = 'forged'`)).rows;
      expect(row).toEqual({ prev_hash: null, hash: null, seq: null, own_txid: true });
      await c.query('COMMIT');
    });
    await waitForSealed(t.db.ownerUrl, b.tenantId);
    expect(await verify(b)).toMatchObject({ valid: true, checked: 6, pending: 0 });
  });

  it('keeps a refusal recorded with recordDetached although the request rolls back', async () => {
    const res = await request(t.http).post('/api/v1/probe/audit/refuse').set('X-API-Key', b.apiKey).expect(429);
    expect(res.body.type).toMatch(/plan-limit$/);
    const actions = await withClient(t.db.ownerUrl, (c) =>
      c.query(`SELECT action, severity, request_id FROM audit_logs WHERE tenant_id = $1 AND action IN ('quota.refused', 'probe.rolled_back')`, [b.tenantId]).then((r) => r.rows),
    );
    expect(actions).toEqual([{ action: 'quota.refused', severity: 'WARNING', request_id: res.headers['x-request-id'] }]);
    await waitForSealed(t.db.ownerUrl, b.tenantId);
    expect(await verify(b)).toMatchObject({ valid: true, checked: 7, pending: 0 });
  });

  it('detects an edited row and a deleted row', async () => {
    const edited = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    const deleted = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    for (const tenant of [edited, deleted]) for (let i = 0; i < 4; i++) await write(tenant, { action: 'probe.step', resource_id: i });
    await waitForSealed(t.db.ownerUrl);
    const ids = async (tenant: SeededTenant) =>
      withClient(t.db.ownerUrl, (c) => c.query(`SELECT id::text FROM audit_logs WHERE tenant_id = $1 ORDER BY seq`, [tenant.tenantId]).then((r) => r.rows.map((x) => x.id)));
    const editedIds = await ids(edited);
    const deletedIds = await ids(deleted);
    // The table owner can still tamper (the app role cannot): verify is what catches it.
    await withClient(t.db.ownerUrl, async (c) => {
      await c.query(`UPDATE audit_logs SET new_value = '{"rewritten": true}' WHERE tenant_id = $1 AND id = $2`, [edited.tenantId, editedIds[1]]);
      await c.query(`DELETE FROM audit_logs WHERE tenant_id = $1 AND id = $2`, [deleted.tenantId, deletedIds[2]]);
    });
    expect(await verify(edited)).toEqual({ valid: false, checked: 4, first_broken_id: editedIds[1], pending: 0 });
    expect(await verify(deleted)).toEqual({ valid: false, checked: 3, first_broken_id: deletedIds[3], pending: 0 });
    // The untouched tenants are unaffected.
    expect((await verify(a)).valid).toBe(true);
  });

  it('lists newest first with filters and cursor pagination, only the caller tenant', async () => {
    const page1 = await request(t.http).get('/api/v1/audit-logs?action=probe.concurrent&limit=8').set('X-API-Key', a.apiKey).expect(200);
    expect(page1.body.data).toHaveLength(8);
    expect(page1.body.has_more).toBe(true);
    const seen = [...page1.body.data];
    let cursor = page1.body.next_cursor;
    while (cursor) {
      const next = await request(t.http).get(`/api/v1/audit-logs?action=probe.concurrent&limit=8&starting_after=${cursor}`).set('X-API-Key', a.apiKey).expect(200);
      seen.push(...next.body.data);
      cursor = next.body.next_cursor;
    }
    expect(seen).toHaveLength(20);
    const ids = seen.map((row) => BigInt(row.id));
    expect([...ids].sort((x, y) => (x > y ? -1 : 1))).toEqual(ids);
    expect(new Set(seen.map((row) => row.action))).toEqual(new Set(['probe.concurrent']));
    expect(seen[0]).toEqual(
      expect.objectContaining({ id: expect.any(String), created_at: expect.stringMatching(/Z$/), hash: expect.stringMatching(/^[0-9a-f]{64}$/), resource_type: null }),
    );

    const byResource = await request(t.http).get('/api/v1/audit-logs?resource_type=user&resource_id=9').set('X-API-Key', a.apiKey).expect(200);
    expect(byResource.body.data.map((row: any) => row.action)).toEqual(['user.changed']);
    const future = await request(t.http).get('/api/v1/audit-logs?from=2999-01-01T00:00:00Z').set('X-API-Key', a.apiKey).expect(200);
    expect(future.body).toEqual({ data: [], has_more: false, next_cursor: null });
    const past = await request(t.http).get('/api/v1/audit-logs?to=2000-01-01T00:00:00Z').set('X-API-Key', a.apiKey).expect(200);
    expect(past.body.data).toEqual([]);
    const window = await request(t.http)
      .get(`/api/v1/audit-logs?from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&limit=100`)
      .set('X-API-Key', a.apiKey)
      .expect(200);
    expect(window.body.data).toHaveLength(21);
    const byUser = await request(t.http).get('/api/v1/audit-logs?user_id=12345').set('X-API-Key', a.apiKey).expect(200);
    expect(byUser.body.data).toEqual([]);

    const other = await request(t.http).get('/api/v1/audit-logs?limit=100').set('X-API-Key', b.apiKey).expect(200);
    expect(other.body.data.some((row: any) => row.resource_id === '9')).toBe(false);
  });

  it('answers bad filters and forged cursors with 400 problem+json', async () => {
    for (const query of ['limit=0', 'limit=101', 'from=yesterday', 'user_id=abc', 'format=xml', 'starting_after=abc.def', 'unknown=1']) {
      const res = await request(t.http).get(`/api/v1/audit-logs?${query}`).set('X-API-Key', a.apiKey).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('refuses API keys without read:audit and callers without credentials', async () => {
    const plain = await seedTenant(t.db.ownerUrl, { scopes: ['read:transactions'] });
    const res = await request(t.http).get('/api/v1/audit-logs').set('X-API-Key', plain.apiKey).expect(403);
    expect(res.body.missing_scopes).toEqual(['read:audit']);
    await request(t.http).get('/api/v1/audit-logs/verify').set('X-API-Key', plain.apiKey).expect(403);
    await request(t.http).get('/api/v1/audit-logs').expect(401);
  });

  it('exports the filtered list as CSV and NDJSON, streamed, matching the JSON list', async () => {
    const list = await request(t.http).get('/api/v1/audit-logs?action=probe.concurrent&limit=100').set('X-API-Key', a.apiKey).expect(200);
    const ndjson = await request(t.http).get('/api/v1/audit-logs?action=probe.concurrent&format=ndjson').set('X-API-Key', a.apiKey).buffer(true).parse(textParser).expect(200);
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(ndjson.headers['x-request-id']).toBeTruthy();
    const lines = ndjson.body.trim().split('\n').map((line: string) => JSON.parse(line));
    expect(lines).toEqual(list.body.data);

    const csv = await request(t.http).get('/api/v1/audit-logs?action=probe.concurrent&format=csv').set('X-API-Key', a.apiKey).buffer(true).parse(textParser).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment/);
    const csvLines = csv.body.trim().split('\r\n');
    expect(csvLines[0]).toBe('id,created_at,user_id,action,resource_type,resource_id,ip_address,user_agent,request_id,old_value,new_value,severity,prev_hash,hash');
    expect(csvLines.slice(1).map((line: string) => line.split(',')[0])).toEqual(list.body.data.map((row: any) => row.id));
  });

  it('streams a trail larger than one batch, and escapes CSV cells', async () => {
    const big = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    await withClient(t.db.ownerUrl, (c) =>
      c.query(
        `INSERT INTO audit_logs (tenant_id, action, user_agent, new_value)
         SELECT $1, 'bulk.row', '=HYPERLINK("x"), "quoted"' || chr(10) || 'line', jsonb_build_object('n', g) FROM generate_series(1, 1234) g`,
        [big.tenantId],
      ),
    );
    const ndjson = await request(t.http).get('/api/v1/audit-logs?format=ndjson').set('X-API-Key', big.apiKey).buffer(true).parse(textParser).expect(200);
    const rows = ndjson.body.trim().split('\n').map((line: string) => JSON.parse(line));
    expect(rows).toHaveLength(1234);
    expect(rows[0].new_value).toEqual({ n: 1234 });
    expect(rows[1233].new_value).toEqual({ n: 1 });
    const csv = await request(t.http).get('/api/v1/audit-logs?format=csv&limit=1').set('X-API-Key', big.apiKey).buffer(true).parse(textParser).expect(200);
    expect(csv.body).toContain(`"'=HYPERLINK(""x""), ""quoted""\nline"`);
    expect(csv.body.split('bulk.row').length - 1).toBe(1234);
    await waitForSealed(t.db.ownerUrl, big.tenantId);
    expect(await verify(big)).toEqual({ valid: true, checked: 1234, first_broken_id: null, pending: 0 });
  });
});

describe('audit export: a client that goes away mid-stream', () => {
  let t: TestApp;
  let tenant: SeededTenant;
  beforeAll(async () => {
    // One connection: if the aborted export leaked it, every later request would time out.
    t = await startTestApp({ env: { DB_POOL_SIZE: '1', DB_ACQUIRE_TIMEOUT_MS: '2000' } });
    tenant = await seedTenant(t.db.ownerUrl, { scopes: AUDIT_SCOPES });
    await withClient(t.db.ownerUrl, (c) =>
      c.query(`INSERT INTO audit_logs (tenant_id, action, user_agent) SELECT $1, 'bulk.row', repeat('x', 500) FROM generate_series(1, 20000)`, [tenant.tenantId]),
    );
  });
  afterAll(() => t.close());

  it('stops reading, ends the transaction and gives the connection back', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.http.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/audit-logs?format=ndjson', headers: { 'X-API-Key': tenant.apiKey } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
    });
    await waitForSealed(t.db.ownerUrl, tenant.tenantId);
    const res = await request(t.http).get('/api/v1/audit-logs/verify').set('X-API-Key', tenant.apiKey).expect(200);
    expect(res.body).toEqual({ valid: true, checked: 20000, first_broken_id: null, pending: 0 });
    const stuck = await withClient(t.db.ownerUrl, (c) =>
      c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`).then((r) => r.rows[0].n),
    );
    expect(stuck).toBe(0);
  });
});

function textParser(res: any, callback: (error: Error | null, body: string) => void): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => callback(null, text));
}
