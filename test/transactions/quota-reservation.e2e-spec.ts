import pg from 'pg';
import { seedTenant } from '../support/fixtures.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const THIS_MONTH = `(date_trunc('month', now() AT TIME ZONE 'UTC'))::date`;

/**
 * fg_quota_reserve (migration 0060), called as the ingest calls it: by the app role, in a READ
 * COMMITTED transaction with the tenant set. Sessions here hold their transactions open on purpose,
 * to show who waits for whom.
 */
describe('quota reservation (fg_quota_reserve)', () => {
  let db: TestDatabase;
  const sessions: pg.Client[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((client) => client.end().catch(() => undefined)));
  });
  afterAll(() => db.drop());

  async function tenantWithLimit(limit: number | null, used = 0): Promise<string> {
    const { tenantId } = await seedTenant(db.ownerUrl);
    await withClient(db.ownerUrl, async (client) => {
      await client.query(`UPDATE tenants SET max_transactions_per_month = $2 WHERE tenant_id = $1`, [tenantId, limit]);
      if (used) await client.query(`INSERT INTO tenant_monthly_usage (tenant_id, month, slot, transactions) VALUES ($1, ${THIS_MONTH}, 0, $2)`, [tenantId, used]);
    });
    return tenantId;
  }

  /** An app-role connection inside a transaction for `tenantId`; a lock wait longer than `lockTimeout` is an error. */
  async function open(tenantId: string, lockTimeout = '10s'): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: db.appUrl });
    sessions.push(client);
    await client.connect();
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.current_tenant', $1, true), set_config('lock_timeout', $2, true)`, [tenantId, lockTimeout]);
    return client;
  }
  const reserve = async (client: pg.Client, tenantId: string, count: number): Promise<boolean> =>
    (await client.query(`SELECT fg_quota_reserve($1, $2) AS ok`, [tenantId, count])).rows[0].ok;
  const usage = (tenantId: string) =>
    withClient(db.ownerUrl, async (client) => {
      const { rows } = await client.query(
        `SELECT coalesce(sum(transactions), 0)::int AS total, count(*) FILTER (WHERE transactions > 0)::int AS used_slots
           FROM tenant_monthly_usage WHERE tenant_id = $1 AND month = ${THIS_MONTH}`,
        [tenantId],
      );
      return rows[0] as { total: number; used_slots: number };
    });
  /** Resolves once the backend of `client` waits for a lock. */
  async function waitingForLock(client: pg.Client): Promise<void> {
    const pid = (client as unknown as { processID: number }).processID;
    await withClient(db.ownerUrl, async (owner) => {
      for (let i = 0; i < 200; i++) {
        const { rows } = await owner.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
        if (rows[0]?.wait_event_type === 'Lock') return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`backend ${pid} never waited for a lock`);
    });
  }

  it('far from the limit, sixteen open reservations of one tenant do not wait for each other; a seventeenth does', async () => {
    for (const limit of [null, 1_000_000]) {
      const tenantId = await tenantWithLimit(limit);
      // The month's slot rows are created by the first reservation.
      const first = await open(tenantId);
      expect(await reserve(first, tenantId, 1)).toBe(true);
      await first.query('COMMIT');
      const holders = await Promise.all(Array.from({ length: 16 }, () => open(tenantId, '500ms')));
      for (const holder of holders) expect(await reserve(holder, tenantId, 2)).toBe(true);
      const extra = await open(tenantId, '300ms');
      await expect(reserve(extra, tenantId, 1)).rejects.toMatchObject({ code: '55P03' }); // lock_timeout: every slot is taken
      for (const holder of holders) await holder.query('COMMIT');
      expect(await usage(tenantId)).toEqual({ total: 33, used_slots: 16 });
    }
  });

  it('near the limit, a reservation waits for those in flight, then counts them exactly', async () => {
    const tenantId = await tenantWithLimit(10);
    const a = await open(tenantId);
    expect(await reserve(a, tenantId, 6)).toBe(true);
    const b = await open(tenantId);
    const bAnswer = reserve(b, tenantId, 5);
    await waitingForLock(b);
    await a.query('COMMIT');
    expect(await bAnswer).toBe(false); // 6 + 5 > 10
    await b.query('ROLLBACK');

    // A reservation that rolls back leaves nothing behind for the one waiting on it.
    const c = await open(tenantId);
    expect(await reserve(c, tenantId, 4)).toBe(true);
    const d = await open(tenantId);
    const dAnswer = reserve(d, tenantId, 4);
    await waitingForLock(d);
    await c.query('ROLLBACK');
    expect(await dAnswer).toBe(true);
    await d.query('COMMIT');
    expect((await usage(tenantId)).total).toBe(10);
  });

  it('takes the fast path while every slot could still commit a full batch, and the exact one after', async () => {
    // The margin is what the 15 other slots' holders may still commit, 1,000 each: with a limit of
    // 20,000, a reservation that leaves 15,000 free needs no one else's lock; one that does not
    // waits until every reservation in flight has ended.
    const tenantId = await tenantWithLimit(20_000, 4_000);
    const a = await open(tenantId);
    expect(await reserve(a, tenantId, 1)).toBe(true);
    const b = await open(tenantId, '300ms');
    expect(await reserve(b, tenantId, 999)).toBe(true); // 4,000 seen + 999 + 15,000 = 19,999: does not wait for a
    await b.query('COMMIT');
    const c = await open(tenantId);
    const cAnswer = reserve(c, tenantId, 1_000); // 4,999 + 1,000 + 15,000 > 20,000: waits for a
    await waitingForLock(c);
    await a.query('COMMIT');
    expect(await cAnswer).toBe(true);
    await c.query('COMMIT');
    expect((await usage(tenantId)).total).toBe(6_000);
  });

  it('never passes the limit under random concurrent reservations, commits and rollbacks, and reaches it exactly', async () => {
    const limit = 30_000;
    const tenantId = await tenantWithLimit(limit);
    let committed = 0;
    async function worker(seed: number): Promise<void> {
      let random = seed;
      const next = () => (random = (random * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
      const client = await open(tenantId);
      await client.query('ROLLBACK');
      // Random counts until the first refusal, then single transactions until refused again.
      let single = false;
      for (;;) {
        const count = single ? 1 : 1 + Math.floor(next() * 1_000);
        await client.query('BEGIN');
        await client.query(`SELECT set_config('app.current_tenant', $1, true)`, [tenantId]);
        const ok = await reserve(client, tenantId, count);
        if (ok && next() < 0.3) await new Promise((resolve) => setTimeout(resolve, next() * 20));
        if (ok && next() < 0.9) {
          await client.query('COMMIT');
          committed += count;
        } else {
          await client.query('ROLLBACK');
        }
        if (!ok) {
          if (single) return;
          single = true;
        }
      }
    }
    await Promise.all(Array.from({ length: 24 }, (_, i) => worker(i + 1)));
    const { total } = await usage(tenantId);
    expect(total).toBe(committed);
    expect(total).toBe(limit);
  });

  it('starts every month from zero: other months’ slots do not count', async () => {
    const tenantId = await tenantWithLimit(3);
    await withClient(db.ownerUrl, (client) =>
      client.query(
        `INSERT INTO tenant_monthly_usage (tenant_id, month, slot, transactions)
         SELECT $1, (${THIS_MONTH} - make_interval(months => m))::date, s, 1 FROM generate_series(1, 2) m, generate_series(0, 15) s`,
        [tenantId],
      ),
    );
    const a = await open(tenantId);
    expect(await reserve(a, tenantId, 3)).toBe(true);
    expect(await reserve(a, tenantId, 1)).toBe(false);
    await a.query('COMMIT');
    expect((await usage(tenantId)).total).toBe(3);
  });

  it('refuses a count outside 1..1,000, a transaction that is not READ COMMITTED, and another tenant', async () => {
    const tenantId = await tenantWithLimit(null);
    const a = await open(tenantId);
    await expect(reserve(a, tenantId, 1_001)).rejects.toMatchObject({ code: '22023' });
    await a.query('ROLLBACK');
    await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await a.query(`SELECT set_config('app.current_tenant', $1, true)`, [tenantId]);
    await expect(reserve(a, tenantId, 1)).rejects.toMatchObject({ code: '0A000' });
    await a.query('ROLLBACK');
    const other = await tenantWithLimit(null);
    const b = await open(tenantId);
    expect(await reserve(b, other, 1)).toBe(false); // RLS: the other tenant is not visible
    await b.query('COMMIT');
    expect((await usage(other)).total).toBe(0);
    await withClient(db.ownerUrl, async (client) => {
      await expect(client.query(`INSERT INTO tenant_monthly_usage (tenant_id, month, slot) VALUES ($1, ${THIS_MONTH}, 16)`, [tenantId])).rejects.toMatchObject({
        constraint: 'tenant_monthly_usage_slot_check',
      });
    });
  });
});
