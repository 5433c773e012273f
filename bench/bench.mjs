/**
 * Benchmark against peers (not part of `npm test`; `npm run bench` builds first). Plain JavaScript
 * importing the compiled build, like the test global setup.
 *
 * 1. Creates a database (BENCH_DB, default fg_bench) on the server of DATABASE_URL (a superuser or
 *    owner URL; without it an embedded cluster under .data/bench), migrates it, and fills it as the
 *    owner with generate_series: BENCH_TENANTS tenants × BENCH_TXNS transactions over
 *    BENCH_ACCOUNTS accounts each, plus one "big" tenant with BENCH_BIG_TXNS transactions; mints
 *    one API key per tenant (rate limit lifted).
 * 2. Starts, on loopback, with the same pool size (BENCH_POOL_SIZE): FraudGuard
 *    (`node dist/src/main.js`, NODE_ENV=production, RATE_LIMIT_ENABLED=false), the ceiling
 *    (bench/ceiling/server.mjs, Fastify + pg and nothing else) and PostGraphile 5
 *    (bench/postgraphile/server.mjs on the node@22 binary of bench/postgraphile/node_modules).
 * 3. Runs BENCH_ROUNDS rounds, each interleaving the systems:
 *    FG list, ceiling list, PGL list, FG ingest, ceiling ingest, PGL ingest, FG batch,
 *    FG list of one 10k-row tenant, FG list of the big tenant —
 *    autocannon, BENCH_CONNECTIONS connections, BENCH_DURATION seconds each, rotating the tenants'
 *    API keys; FraudGuard's resident memory is sampled from /proc throughout.
 * 4. Prints the medians over the rounds as a markdown table with the ratios and targets, and
 *    writes it to bench/results.md (BENCH_RESULTS to write elsewhere).
 *
 * BENCH_SCENARIOS=fg-list,… runs only those scenarios (e.g. for a CPU profile with
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=.data/profiles"; BENCH_CEILING_NODE_ARGS for the ceiling).
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { REBUILD_ACCOUNT_PROFILES } from '../dist/migrations/1700000000041-account-profiles.js';
import { generateApiKey } from '../dist/src/api-keys/api-key.token.js';
import { appRoleUrl } from '../dist/src/config/database.config.js';
import { createOwnerDataSource } from '../dist/src/database/data-source.js';
import { startEmbeddedPostgres } from '../dist/src/database/embedded-postgres.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const num = (name, fallback) => (env[name] ? Number(env[name]) : fallback);
const settings = {
  tenants: num('BENCH_TENANTS', 100),
  txns: num('BENCH_TXNS', 10_000),
  bigTxns: num('BENCH_BIG_TXNS', 1_000_000),
  accounts: num('BENCH_ACCOUNTS', 100),
  rounds: num('BENCH_ROUNDS', 3),
  duration: num('BENCH_DURATION', 10),
  warmup: num('BENCH_WARMUP', 3),
  connections: num('BENCH_CONNECTIONS', 10),
  batchSize: num('BENCH_BATCH_SIZE', 1000),
  batchConnections: num('BENCH_BATCH_CONNECTIONS', 2),
  poolSize: num('BENCH_POOL_SIZE', 10),
  database: env.BENCH_DB || 'fg_bench',
  reuse: env.BENCH_REUSE === '1',
};
const only = env.BENCH_SCENARIOS ? new Set(env.BENCH_SCENARIOS.split(',')) : undefined;
const appPassword = env.APP_DB_PASSWORD || 'fraudguard_app_dev';
const BIG_TENANT = 'benchbig-00001';

function databaseUrl(serverUrl, database) {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function timed(label, work) {
  const started = Date.now();
  const result = await work();
  console.log(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Database

async function prepareDatabase(serverUrl) {
  const url = databaseUrl(serverUrl, settings.database);
  const exists = await withClient(serverUrl, async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [settings.database])).rowCount > 0);
  if (exists && settings.reuse) {
    console.log(`reusing database ${settings.database}`);
  } else {
    await withClient(serverUrl, async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(settings.database)} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(settings.database)}`);
    });
    const owner = createOwnerDataSource(url);
    await owner.initialize();
    await owner.runMigrations({ transaction: 'each' });
    await owner.destroy();
    await timed(`seeded ${settings.tenants} tenants × ${settings.txns} transactions + 1 tenant × ${settings.bigTxns}`, () => seed(url));
  }
  // Keys are stored hashed: mint fresh ones for this run (plaintext only in memory).
  return withClient(url, async (client) => {
    const { rows } = await client.query(
      `SELECT t.tenant_id, (SELECT a.id FROM accounts a WHERE a.tenant_id = t.tenant_id AND a.external_ref = 'acc-1') AS account_id,
              (SELECT count(*) FROM transactions x WHERE x.tenant_id = t.tenant_id)::int AS rows
         FROM tenants t WHERE t.tenant_id LIKE 'bench%' ORDER BY t.tenant_id`,
    );
    const issued = rows.map((row) => ({ tenantId: row.tenant_id, accountId: row.account_id, rows: row.rows, ...generateApiKey() }));
    await client.query(`DELETE FROM tenant_api_keys WHERE tenant_id LIKE 'bench%'`);
    await client.query(
      `INSERT INTO tenant_api_keys (tenant_id, key_name, key_hash, key_prefix, scopes, rate_limit_per_minute)
       SELECT t, 'bench', h, p, ARRAY['read:transactions', 'write:transactions', 'read:alerts', 'read:accounts', 'write:accounts'], 100000000
         FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) AS k(t, h, p)`,
      [issued.map((k) => k.tenantId), issued.map((k) => k.hash), issued.map((k) => k.prefix)],
    );
    const tenants = issued.filter((k) => k.tenantId !== BIG_TENANT);
    const big = issued.find((k) => k.tenantId === BIG_TENANT);
    if (!big || tenants.length === 0) throw new Error(`database ${settings.database} lacks the bench tenants: drop it or unset BENCH_REUSE`);
    return { ownerUrl: url, appUrl: appRoleUrl(url, appPassword), tenants, big };
  });
}

async function seedTenantTransactions(client, tenantId, count) {
  await client.query(
    `INSERT INTO transactions (tenant_id, account_id, external_id, amount, currency, merchant, merchant_category, country,
                               device_id, txn_time, status, risk_score, risk_level, reasons, created_at)
     SELECT a.tenant_id, a.id, 'seed-' || i, 5 + ((i::bigint * 7919) % 20000) / 100.0, 'EUR', 'Merchant ' || (i % 40),
            (ARRAY['5411', '5812', '5999', '4111', '7995'])[1 + i % 5], a.country, 'device-' || (i % 3),
            now() - (i * interval '61 seconds'), 'APPROVED', 0, 'LOW', '[]', now()
       FROM generate_series(1, $2) i
       JOIN accounts a ON a.tenant_id = $1 AND a.external_ref = 'acc-' || (1 + i % $3)`,
    [tenantId, count, settings.accounts],
  );
}

async function seed(url) {
  await withClient(url, async (client) => {
    await client.query('SET synchronous_commit = off');
    await client.query(
      `INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_email, plan, max_transactions_per_month)
       SELECT 'bench-' || lpad(g::text, 5, '0'), 'Bench ' || g, 'bench-' || g, 'admin@bench-' || g || '.example', 'ENTERPRISE', 2000000000
         FROM generate_series(1, $1) g
       UNION ALL
       SELECT $2, 'Bench big', 'benchbig', 'admin@benchbig.example', 'ENTERPRISE', 2000000000`,
      [settings.tenants, BIG_TENANT],
    );
    await client.query(
      `INSERT INTO accounts (tenant_id, external_ref, holder_name, country)
       SELECT t.tenant_id, 'acc-' || a, 'Holder ' || a, (ARRAY['DE', 'FR', 'GB', 'US', 'NL'])[1 + a % 5]
         FROM tenants t CROSS JOIN generate_series(1, $1) a WHERE t.tenant_id LIKE 'bench%'`,
      [settings.accounts],
    );
    // One statement per tenant keeps each transaction (and its WAL) moderate.
    const { rows: tenants } = await client.query(`SELECT tenant_id FROM tenants WHERE tenant_id LIKE 'bench-%' ORDER BY tenant_id`);
    for (const { tenant_id } of tenants) await seedTenantTransactions(client, tenant_id, settings.txns);
    await timed(`  big tenant ${BIG_TENANT}: ${settings.bigTxns} transactions`, () => seedTenantTransactions(client, BIG_TENANT, settings.bigTxns));
    // Rows inserted behind the app's back: the accounts' scoring profiles are rebuilt from them.
    await timed('  account profiles', () => client.query(REBUILD_ACCOUNT_PROFILES));
    await client.query(
      `INSERT INTO tenant_monthly_usage (tenant_id, month, transactions)
       SELECT tenant_id, (date_trunc('month', now() AT TIME ZONE 'UTC'))::date, count(*) FROM transactions
        WHERE tenant_id LIKE 'bench%' GROUP BY tenant_id
       ON CONFLICT (tenant_id, month) DO UPDATE SET transactions = EXCLUDED.transactions`,
    );
    // What autovacuum would do after a bulk load: set the visibility map and hint bits, collect statistics.
    await client.query('VACUUM (ANALYZE)');
  });
}

/** The tables the three systems write to during the scenarios. */
const WRITTEN_TABLES = ['transactions', 'accounts', 'account_profiles', 'fraud_alerts', 'audit_logs', 'tenant_monthly_usage', 'tenant_api_keys'];

/**
 * A server with autovacuum off (this machine's is) never cleans the rows the scenarios update: the
 * scoring profiles, the quota counters, the keys' last use. Their dead versions would pile up from
 * one scenario to the next and slow whichever system runs later. In that case every scenario starts
 * from a vacuumed database, as it would with autovacuum's defaults (a pass a minute).
 */
async function vacuumer(db) {
  const autovacuum = await withClient(db.ownerUrl, async (client) => (await client.query('SHOW autovacuum')).rows[0].autovacuum);
  if (autovacuum === 'on') return { autovacuum, vacuum: async () => {} };
  return { autovacuum, vacuum: () => withClient(db.ownerUrl, (client) => client.query(`VACUUM (ANALYZE) ${WRITTEN_TABLES.join(', ')}`)) };
}

// ---------------------------------------------------------------------------------------------
// Systems under test

async function waitForHttp(name, child, url) {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start-up`);
    try {
      const response = await fetch(url);
      // Any HTTP answer means it listens; FraudGuard's readiness endpoint must say ready.
      if (response.ok || !url.endsWith('/health/ready')) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} did not become ready`);
}

async function startSystem(name, command, args, options, readyPath) {
  const port = await freePort();
  const child = spawn(command, args, {
    cwd: options.cwd ?? root,
    env: { ...env, ...options.env, PORT: String(port), DB_POOL_SIZE: String(settings.poolSize) },
    // BENCH_STDOUT_DIR keeps each system's stdout (e.g. with BENCH_NODE_ARGS=--trace-gc) as <name>.log.
    stdio: ['ignore', env.BENCH_STDOUT_DIR ? openSync(path.join(env.BENCH_STDOUT_DIR, `${name}.log`), 'w') : 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(name, child, `${base}${readyPath}`);
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
  return { name, base, child };
}

function startFraudGuard(db) {
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=.data/profiles", profiles the API under load.
  const nodeArgs = (env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean);
  return startSystem('FraudGuard', process.execPath, [...nodeArgs, path.join(root, 'dist/src/main.js')], {
    env: {
      DATABASE_URL: db.ownerUrl,
      APP_DB_PASSWORD: appPassword,
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DEMO_API_KEY: 'false',
      RATE_LIMIT_ENABLED: 'false',
      JWT_SECRET: env.JWT_SECRET || 'bench-only-secret-bench-only-secret-0123456789',
    },
  }, '/health/ready');
}

function startCeiling(db) {
  const nodeArgs = (env.BENCH_CEILING_NODE_ARGS || '').split(' ').filter(Boolean);
  return startSystem('ceiling', process.execPath, [...nodeArgs, path.join(root, 'bench/ceiling/server.mjs')], { env: { APP_DATABASE_URL: db.appUrl, NODE_ENV: 'production' } }, '/');
}

function startPostGraphile(db) {
  const dir = path.join(root, 'bench/postgraphile');
  const node22 = path.join(dir, 'node_modules/.bin/node');
  return startSystem('PostGraphile', node22, [path.join(dir, 'server.mjs')], {
    cwd: dir,
    env: { APP_DATABASE_URL: db.appUrl, NODE_ENV: 'production', GRAPHILE_ENV: 'production' },
  }, '/graphql');
}

async function stopSystem(system) {
  if (!system || system.child.exitCode !== null) return;
  const exited = new Promise((resolve) => system.child.once('exit', resolve));
  system.child.kill('SIGTERM');
  await exited;
}

/** Peak VmRSS of a process, sampled from /proc while `work` runs. */
class RssSampler {
  constructor(pid) {
    this.pid = pid;
    this.peakKb = 0;
  }
  read(field) {
    try {
      const match = readFileSync(`/proc/${this.pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }
  start() {
    this.timer = setInterval(() => (this.peakKb = Math.max(this.peakKb, this.read('VmRSS'))), 200);
  }
  stop() {
    clearInterval(this.timer);
    return { sampledPeakMb: this.peakKb / 1024, hwmMb: this.read('VmHWM') / 1024 };
  }
}

// ---------------------------------------------------------------------------------------------
// Load

function rotating(keys, build) {
  let n = 0;
  return [
    {
      setupRequest: (request) => {
        const i = n++;
        const key = keys[i % keys.length];
        request.headers = { ...request.headers, 'x-api-key': key.key, 'content-type': 'application/json' };
        return build ? { ...request, ...build(i, key) } : request;
      },
    },
  ];
}

function transaction(i) {
  return {
    account_ref: `acc-${1 + (i % settings.accounts)}`,
    amount: (5 + ((i * 7919) % 20000) / 100).toFixed(2),
    currency: 'EUR',
    merchant: `Merchant ${i % 45}`,
    merchant_category: ['5411', '5812', '5999', '4111', '7995'][i % 5],
    country: ['DE', 'FR', 'GB', 'US', 'NL', 'BR'][i % 6],
    device_id: `device-${i % 4}`,
  };
}

// The same page FraudGuard answers: every field of its transaction view (the row's uuid, not the
// GraphQL node id), the first alert's id, the same order, and whether there is a next page.
const PGL_LIST = `{ allTransactions(first: 50, orderBy: [TXN_TIME_DESC, ROW_ID_DESC]) {
  nodes { rowId accountId externalId amount currency merchant merchantCategory country ipAddress deviceId txnTime status
          riskScore riskLevel reasons scoringConfig metadata createdAt
          fraudAlertsByTenantIdAndTransactionId(first: 1, orderBy: CREATED_AT_ASC) { nodes { rowId } } }
  pageInfo { hasNextPage endCursor } } }`;
const PGL_CREATE = `mutation($t: TransactionInput!) { createTransaction(input: {transaction: $t}) { transaction { id } } }`;

function scenarios(systems, db) {
  const { fg, ceiling, pgl } = systems;
  let batchNo = 0;
  const list = (system, keys) => ({ url: `${system.base}/api/v1/transactions?limit=50`, requests: rotating(keys) });
  const ingest = (system) => ({
    url: `${system.base}/api/v1/transactions`,
    method: 'POST',
    requests: rotating(db.tenants, (i) => ({ body: JSON.stringify(transaction(i)) })),
  });
  return [
    { id: 'fg-list', system: fg, kind: 'list', options: list(fg, db.tenants) },
    { id: 'ceiling-list', system: ceiling, kind: 'list', options: list(ceiling, db.tenants) },
    {
      id: 'pgl-list',
      system: pgl,
      kind: 'list',
      options: { url: `${pgl.base}/graphql`, method: 'POST', requests: rotating(db.tenants, () => ({ body: JSON.stringify({ query: PGL_LIST }) })) },
      // GraphQL answers 200 with `errors` on failure: check a response once before measuring.
      check: { body: JSON.stringify({ query: PGL_LIST }), ok: (json) => Array.isArray(json?.data?.allTransactions?.nodes) && json.data.allTransactions.nodes.length > 0 },
    },
    { id: 'fg-ingest', system: fg, kind: 'ingest', options: ingest(fg) },
    { id: 'ceiling-ingest', system: ceiling, kind: 'ingest', options: ingest(ceiling) },
    // A reference below the ceiling: the ceiling server's bare account upsert + insert.
    { id: 'bare-ingest', system: ceiling, kind: 'ingest', options: { ...ingest(ceiling), url: `${ceiling.base}/bare/transactions` } },
    {
      id: 'pgl-ingest',
      system: pgl,
      kind: 'ingest',
      options: {
        url: `${pgl.base}/graphql`,
        method: 'POST',
        requests: rotating(db.tenants, (i, key) => ({ body: JSON.stringify({ query: PGL_CREATE, variables: { t: pglTransaction(i, key) } }) })),
      },
      check: {
        body: JSON.stringify({ query: PGL_CREATE, variables: { t: pglTransaction(0, db.tenants[0]) } }),
        ok: (json) => typeof json?.data?.createTransaction?.transaction?.id === 'string',
      },
    },
    {
      id: 'fg-batch',
      system: fg,
      kind: 'batch',
      options: {
        url: `${fg.base}/api/v1/transactions/batch`,
        method: 'POST',
        connections: settings.batchConnections,
        requests: rotating(db.tenants, () => {
          const offset = batchNo++ * settings.batchSize;
          return { body: JSON.stringify({ transactions: Array.from({ length: settings.batchSize }, (_, j) => transaction(offset + j)) }) };
        }),
      },
    },
    { id: 'fg-list-10k', system: fg, kind: 'list', options: list(fg, [db.tenants[0]]) },
    { id: 'fg-list-big', system: fg, kind: 'list', options: list(fg, [db.big]) },
  ].filter((scenario) => !only || only.has(scenario.id));
}

function pglTransaction(i, key) {
  const t = transaction(i);
  return { tenantId: key.tenantId, accountId: key.accountId, amount: t.amount, currency: t.currency, merchant: t.merchant, status: 'APPROVED', riskScore: '0', riskLevel: 'LOW' };
}

async function check(scenario, key) {
  if (!scenario.check) return;
  const response = await fetch(scenario.options.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key.key }, body: scenario.check.body });
  const json = await response.json().catch(() => undefined);
  if (!response.ok || !scenario.check.ok(json)) throw new Error(`${scenario.id}: unexpected answer ${response.status} ${JSON.stringify(json)?.slice(0, 500)}`);
}

function load(scenario, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ duration, connections: settings.connections, ...scenario.options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; 0 once it is gone. */
function cpuSeconds(pid) {
  try {
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * CPU seconds per PostgreSQL process (postmaster, backends, background workers), by pid. Compared
 * pid by pid: a backend that exits during a run (another system's idle pool closing) would otherwise
 * take its whole history out of the sum.
 */
function postgresCpu() {
  const byPid = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') byPid.set(entry, cpuSeconds(entry));
    } catch {
      // gone in the meantime
    }
  }
  return byPid;
}

function postgresCpuSince(before) {
  let total = 0;
  for (const [pid, seconds] of postgresCpu()) total += seconds - (before.get(pid) ?? 0);
  return total;
}

async function measure(scenario) {
  // CPU per request, besides req/s: the machine's speed drifts, CPU time per request much less.
  const cpuBefore = { server: cpuSeconds(scenario.system.child.pid), postgres: postgresCpu() };
  const result = await load(scenario, settings.duration);
  const requests = result['2xx'] || 1;
  const cpu = {
    server: ((cpuSeconds(scenario.system.child.pid) - cpuBefore.server) * 1000) / requests,
    postgres: (postgresCpuSince(cpuBefore.postgres) * 1000) / requests,
  };
  const failed = result.non2xx + result.errors + result.timeouts;
  const figure = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.average,
    failed,
    cpu,
    txnPerSecond: scenario.kind === 'batch' ? (result['2xx'] * settings.batchSize) / result.duration : undefined,
  };
  console.log(
    `  ${scenario.id.padEnd(15)} ${figure.rps.toFixed(0).padStart(7)} req/s   p50 ${String(figure.p50).padStart(4)} ms   p99 ${String(figure.p99).padStart(5)} ms   mean ${figure.mean.toFixed(2).padStart(6)} ms` +
      (figure.txnPerSecond !== undefined ? `   ${figure.txnPerSecond.toFixed(0)} txn/s` : '') +
      `   CPU ms/req ${figure.cpu.server.toFixed(2)} server, ${figure.cpu.postgres.toFixed(2)} PostgreSQL` +
      (failed ? `   (${failed} non-2xx/errors/timeouts)` : ''),
  );
  return figure;
}

// ---------------------------------------------------------------------------------------------
// Report

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function report(results, memory, started, loadBefore, autovacuum) {
  const m = (id, field) => median((results[id] ?? []).map((figure) => figure[field]));
  const failed = (id) => (results[id] ?? []).reduce((sum, figure) => sum + figure.failed, 0);
  const fmt = (value, digits = 0) => (value === undefined ? '–' : value.toFixed(digits));
  const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
  const met = (ok) => (ok === undefined ? '–' : ok ? 'yes' : '**no**');
  const rows = [];
  const row = (...cells) => rows.push(`| ${cells.join(' | ')} |`);
  const cpuOf = (id, side) => median((results[id] ?? []).map((figure) => figure.cpu[side]));
  const cpu = (id) => (results[id] ? `${fmt(cpuOf(id, 'server'), 2)} / ${fmt(cpuOf(id, 'postgres'), 2)}` : '–');

  row('Figure (median of rounds)', 'FraudGuard', 'Ceiling', 'PostGraphile', 'FG / ceiling', 'FG / PostGraphile', 'Target', 'Met');
  row('---', '---:', '---:', '---:', '---:', '---:', '---', '---');
  for (const [kind, label, ceilingTarget, pglTarget] of [
    ['list', 'List `GET /transactions?limit=50`', 0.8, 1.5],
    ['ingest', 'Single ingest `POST /transactions`', 0.6, 1.2],
  ]) {
    const fg = m(`fg-${kind}`, 'rps');
    const ce = m(`ceiling-${kind}`, 'rps');
    const pgl = m(`pgl-${kind}`, 'rps');
    const rc = ratio(fg, ce);
    const rp = ratio(fg, pgl);
    row(`${label} req/s`, fmt(fg), fmt(ce), fmt(pgl), fmt(rc, 2), fmt(rp, 2), `≥ ${ceilingTarget}× ceiling, ≥ ${pglTarget}× PGL`,
      met(rc === undefined || rp === undefined ? undefined : rc >= ceilingTarget && rp >= pglTarget));
    for (const field of ['p50', 'p99']) {
      const fgv = m(`fg-${kind}`, field);
      row(`${label} ${field} ms (${settings.connections} conn.)`, fmt(fgv), fmt(m(`ceiling-${kind}`, field)), fmt(m(`pgl-${kind}`, field)), '', '',
        field === 'p99' ? '≤ 25 ms' : '', field === 'p99' ? met(fgv === undefined ? undefined : fgv <= 25) : '');
    }
    row(`${label} CPU ms per request: server process / all PostgreSQL processes`, cpu(`fg-${kind}`), cpu(`ceiling-${kind}`), cpu(`pgl-${kind}`), '', '', '', '');
  }
  const bare = m('bare-ingest', 'rps');
  row('Reference: bare insert (account upsert + transaction insert, no profile, quota, alert or audit row) req/s, p50 / p99 ms, CPU ms per request',
    '', `${fmt(bare)}, ${fmt(m('bare-ingest', 'p50'))} / ${fmt(m('bare-ingest', 'p99'))}, ${cpu('bare-ingest')}`, '', fmt(ratio(m('fg-ingest', 'rps'), bare), 2), '', '', '');
  const batch = m('fg-batch', 'txnPerSecond');
  row(`Batch \`POST /transactions/batch\` (${settings.batchSize} items, ${settings.batchConnections} conn.) txn/s`, fmt(batch), '', '', '', '', '≥ 20,000 txn/s', met(batch === undefined ? undefined : batch >= 20_000));
  row(`Batch CPU ms per request (${settings.batchSize} items): server process / all PostgreSQL processes`, cpu('fg-batch'), '', '', '', '', '', '');
  row('FraudGuard peak resident memory under load (MB)', `${fmt(memory.sampledPeakMb, 1)} (VmHWM ${fmt(memory.hwmMb, 1)})`, '', '', '', '', '≤ 300 MB', met(memory.hwmMb ? Math.max(memory.sampledPeakMb, memory.hwmMb) <= 300 : undefined));
  const small = { p50: m('fg-list-10k', 'p50'), p99: m('fg-list-10k', 'p99'), mean: m('fg-list-10k', 'mean'), rps: m('fg-list-10k', 'rps') };
  const big = { p50: m('fg-list-big', 'p50'), p99: m('fg-list-big', 'p99'), mean: m('fg-list-big', 'mean'), rps: m('fg-list-big', 'rps') };
  // "Flat": the big tenant's p50 within 1 ms or 20 % of the small one's, its p99 within 2 ms or 25 %.
  const flat = small.p50 === undefined || big.p50 === undefined ? undefined
    : big.p50 <= Math.max(small.p50 + 1, small.p50 * 1.2) && big.p99 <= Math.max(small.p99 + 2, small.p99 * 1.25);
  row(`FG list, one tenant: ${settings.txns.toLocaleString('en')} rows vs ${settings.bigTxns.toLocaleString('en')} rows — p50 / p99 / mean ms`,
    `${fmt(small.p50)} / ${fmt(small.p99)} / ${fmt(small.mean, 2)} vs ${fmt(big.p50)} / ${fmt(big.p99)} / ${fmt(big.mean, 2)}`, '', '', '', '',
    'flat (p50 ±1 ms or 20 %, p99 ±2 ms or 25 %)', met(flat));
  row(`FG list, one tenant: ${settings.txns.toLocaleString('en')} rows vs ${settings.bigTxns.toLocaleString('en')} rows — req/s`, `${fmt(small.rps)} vs ${fmt(big.rps)}`, '', '', fmt(ratio(big.rps, small.rps), 2), '', '', '');

  const failures = Object.keys(results).filter((id) => failed(id) > 0).map((id) => `${id}: ${failed(id)}`);
  const rounds = Math.max(0, ...Object.values(results).map((figures) => figures.length));
  const full = settings.tenants >= 100 && settings.txns >= 10_000 && settings.bigTxns >= 1_000_000 && rounds >= 3;
  const text = [
    '# Benchmark against peers',
    '',
    `${started.toISOString()} — ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average before the run ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, ` +
      `FraudGuard and ceiling on Node ${process.version}, PostGraphile on the node@22 binary.`,
    '',
    `Settings: ${JSON.stringify({ ...settings, rounds })}`,
    '',
    autovacuum === 'on'
      ? 'Autovacuum is on.'
      : `Autovacuum is ${autovacuum} on this server, so each measured scenario starts after a \`VACUUM (ANALYZE)\` of the tables the systems write (${WRITTEN_TABLES.join(', ')}).`,
    '',
    full ? 'Full configuration.' : '**Reduced configuration (development smoke run): the figures are only an indication, not the benchmark.**',
    '',
    ...rows,
    '',
    `Errors / non-2xx answers during measurement: ${failures.length ? failures.join(', ') : 'none'}.`,
    '',
    'Per round (req/s, p50/p99 ms, [CPU ms per request: server / PostgreSQL]):',
    '',
    ...Object.entries(results).map(([id, figures]) => `- ${id}: ${figures.map((f) => `${f.rps.toFixed(0)} (${f.p50}/${f.p99})${f.txnPerSecond !== undefined ? ` ${f.txnPerSecond.toFixed(0)} txn/s` : ''} [CPU ${f.cpu.server.toFixed(2)}/${f.cpu.postgres.toFixed(2)} ms]`).join(', ')}`),
    '',
  ].join('\n');
  return text;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = new Date();
  const loadBefore = os.loadavg();
  let cluster;
  let serverUrl = env.BENCH_DATABASE_URL || env.DATABASE_URL;
  if (!serverUrl) {
    cluster = await startEmbeddedPostgres({ dir: path.join(root, '.data/bench'), port: num('BENCH_PG_PORT', 54339), persistent: true, database: 'postgres' });
    serverUrl = cluster.ownerUrl;
  }
  console.log(`settings: ${JSON.stringify(settings)}`);
  const db = await prepareDatabase(serverUrl);
  const systems = {};
  let sampler;
  try {
    // FraudGuard first: it runs the migrations (none pending) and the app role's start-up checks.
    systems.fg = await startFraudGuard(db);
    [systems.ceiling, systems.pgl] = await Promise.all([startCeiling(db), startPostGraphile(db)]);
    const list = scenarios(systems, db);
    for (const scenario of list) await check(scenario, db.tenants[0]);
    if (settings.warmup > 0) {
      console.log(`warm-up (${settings.warmup} s each)`);
      for (const scenario of list.filter((s) => s.kind !== 'batch')) await load(scenario, settings.warmup);
    }
    const { autovacuum, vacuum } = await vacuumer(db);
    if (autovacuum !== 'on') console.log('autovacuum is off on this server: each scenario starts after a VACUUM (ANALYZE) of the written tables');
    sampler = new RssSampler(systems.fg.child.pid);
    sampler.start();
    const results = {};
    for (let round = 1; round <= settings.rounds; round++) {
      console.log(`round ${round}/${settings.rounds}`);
      for (const scenario of list) {
        await vacuum();
        (results[scenario.id] ??= []).push(await measure(scenario));
      }
    }
    const memory = sampler.stop();
    const text = report(results, memory, started, loadBefore, autovacuum);
    console.log(`\n${text}`);
    const out = env.BENCH_RESULTS || path.join(root, 'bench/results.md');
    writeFileSync(out, text);
    console.log(`written to ${path.relative(root, out)}`);
  } finally {
    sampler?.stop();
    await Promise.all(Object.values(systems).map(stopSystem));
    if (cluster) await cluster.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
