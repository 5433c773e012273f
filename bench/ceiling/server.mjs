// The ceiling: the least a Node service can do for FraudGuard's two hot routes — Fastify and pg,
// the same per-request transaction with a transaction-local tenant setting (and the same generic
// plans of named prepared statements), the same API-key resolution (SHA-256 → fg_api_key_lookup,
// cached in process) and the same SQL, and nothing else (no DI, no validation, no guards, no
// scoring). FraudGuard is measured as a ratio of this. Run `npm run build` first: the list and
// ingest statements and the id generator are imported from FraudGuard's build, so they are the same.
//   APP_DATABASE_URL=postgres://fg_db_app:…@127.0.0.1:5432/db PORT=3001 node bench/ceiling/server.mjs
//
// Routes: GET /api/v1/transactions and POST /api/v1/transactions (FraudGuard's SQL), and
// POST /bare/transactions, a reference below the ceiling: an account upsert and a transaction
// insert, without the scoring profile, quota, alerts and audit row FraudGuard's ingest writes.
import Fastify from 'fastify';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { uuidv7 } from '../../dist/src/common/uuid-v7.js';
import { INGEST_CONTEXT_SQL, INGEST_WRITE_SQL } from '../../dist/src/transactions/ingest.sql.js';
import { transactionListSql } from '../../dist/src/transactions/transaction.sql.js';

const url = process.env.APP_DATABASE_URL;
const port = Number(process.env.PORT ?? 3001);
if (!url) throw new Error('APP_DATABASE_URL is required');
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DB_POOL_SIZE ?? 10) });
const cache = new Map();

async function tenantFor(key) {
  if (typeof key !== 'string') return undefined;
  const hash = createHash('sha256').update(key).digest('hex');
  const hit = cache.get(hash);
  if (hit && hit.expires > Date.now()) return hit.tenantId;
  const { rows } = await pool.query('SELECT tenant_id, is_active FROM fg_api_key_lookup($1)', [hash]);
  const tenantId = rows[0]?.is_active ? rows[0].tenant_id : undefined;
  cache.set(hash, { tenantId, expires: Date.now() + 30_000 });
  return tenantId;
}

async function inTenant(tenantId, readOnly, work) {
  const client = await pool.connect();
  try {
    // FraudGuard's BEGIN with DB_PREPARED_STATEMENTS=true (its default).
    await client.query(
      `BEGIN${readOnly ? ' READ ONLY' : ''}; SET LOCAL plan_cache_mode = force_generic_plan; ` +
        `SELECT set_config('app.current_tenant', ${client.escapeLiteral(tenantId)}, true)`,
    );
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const LIST_SQL = transactionListSql(['t.tenant_id = $1'], 2);

const app = Fastify();

app.get('/api/v1/transactions', async (request, reply) => {
  const tenantId = await tenantFor(request.headers['x-api-key']);
  if (!tenantId) return reply.code(401).send({ error: 'unauthorized' });
  const limit = Math.min(100, Math.max(1, Number(request.query.limit ?? 50)));
  const rows = await inTenant(tenantId, true, async (client) =>
    (await client.query({
      name: 'list',
      // FraudGuard's list SQL, as its repository builds it for an unfiltered first page.
      text: LIST_SQL,
      values: [tenantId, limit + 1],
    })).rows,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const hasMore = rows.length > limit;
  return {
    data: page.map(({ cursor_time: _, ...row }) => row),
    has_more: hasMore,
    next_cursor: hasMore && last ? Buffer.from(JSON.stringify([last.cursor_time, last.id])).toString('base64url') : null,
  };
});

// FraudGuard's two ingest statements with the parameters they take, the body's values as they came,
// no scoring: risk 0, no reasons, no alert, the account's profile written back as it was read.
const SCORING = { risk_threshold: 0.7, auto_block: false, notification_email: null, rules_version: 1 };
const SCORING_CONFIG = JSON.stringify(SCORING);
app.post('/api/v1/transactions', async (request, reply) => {
  const tenantId = await tenantFor(request.headers['x-api-key']);
  if (!tenantId) return reply.code(401).send({ error: 'unauthorized' });
  const body = request.body;
  const id = uuidv7();
  const txnTime = body.txn_time ?? new Date().toISOString();
  let accountId;
  const written = await inTenant(tenantId, false, async (client) => {
    const context = (await client.query({ name: 'context', text: INGEST_CONTEXT_SQL, values: [tenantId, [body.account_ref], [], []] })).rows[0];
    accountId = context.accounts[0][0];
    const profile = context.profiles[0]?.[1] ?? {};
    const one = (value) => [value ?? null];
    return (await client.query({
      name: 'write',
      text: INGEST_WRITE_SQL,
      values: [
        tenantId, 1, '[[]]', SCORING_CONFIG,
        [id], [accountId], one(body.external_id), [body.amount], [body.currency], [body.merchant], one(body.merchant_category),
        one(body.country), one(body.ip_address), one(body.device_id), [txnTime], ['APPROVED'], [0], ['LOW'],
        one(body.metadata === undefined ? undefined : JSON.stringify(body.metadata)),
        [], [], [], [], [],
        JSON.stringify([profile]), [accountId],
        [body.account_ref],
        null, 'transaction.create', 'transaction', id, request.ip, request.headers['user-agent'] ?? null, request.id, null,
        JSON.stringify({ amount: body.amount, currency: body.currency, status: 'APPROVED', risk_score: 0 }), 'INFO',
      ],
    })).rows[0];
  });
  // The created resource, as FraudGuard answers it (the body's values as they came).
  return reply.code(201).send({
    id, transaction_id: id, account_id: accountId, account_ref: body.account_ref, external_id: body.external_id ?? null,
    amount: body.amount, currency: body.currency, merchant: body.merchant, merchant_category: body.merchant_category ?? null,
    country: body.country ?? null, ip_address: body.ip_address ?? null, device_id: body.device_id ?? null, txn_time: txnTime,
    status: 'APPROVED', risk_score: 0, risk_level: 'LOW', reasons: [], scoring_config: SCORING,
    metadata: body.metadata ?? null, alert_id: null, created_at: written.created_at,
  });
});

app.post('/bare/transactions', async (request, reply) => {
  const tenantId = await tenantFor(request.headers['x-api-key']);
  if (!tenantId) return reply.code(401).send({ error: 'unauthorized' });
  const body = request.body;
  const row = await inTenant(tenantId, false, async (client) => {
    const account = await client.query({
      name: 'bare-account',
      text: `INSERT INTO accounts (tenant_id, external_ref) VALUES ($1, $2)
             ON CONFLICT (tenant_id, external_ref) DO UPDATE SET external_ref = EXCLUDED.external_ref RETURNING id`,
      values: [tenantId, body.account_ref],
    });
    return (await client.query({
      name: 'bare-insert',
      text: `INSERT INTO transactions (tenant_id, id, account_id, account_ref, amount, currency, merchant, status, risk_score, risk_level)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'APPROVED', 0, 'LOW') RETURNING id, status, risk_score, risk_level`,
      values: [tenantId, uuidv7(), account.rows[0].id, body.account_ref, body.amount, body.currency, body.merchant],
    })).rows[0];
  });
  return reply.code(201).send({ transaction_id: row.id, status: row.status, risk_score: Number(row.risk_score), risk_level: row.risk_level, reasons: [] });
});

await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`ceiling listening on ${port}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, async () => { await app.close(); await pool.end(); process.exit(0); });
