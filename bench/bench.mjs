/**
 * Load benchmark (not part of `npm test`). Plain JavaScript importing the compiled build, like the
 * test global setup; `npm run bench` builds first.
 *
 * 1. Creates a database (BENCH_DB, default fg_bench) on the server of DATABASE_URL (a superuser or
 *    owner URL; without it an embedded cluster under .data/bench), migrates it, and fills it as the
 *    owner with generate_series: BENCH_TENANTS tenants × BENCH_TXNS transactions over
 *    BENCH_ACCOUNTS accounts each, plus one API key per tenant.
 * 2. Starts the API (`node dist/src/main.js`) in a child process on loopback.
 * 3. Runs autocannon against GET /api/v1/transactions?limit=50, POST /api/v1/transactions and
 *    POST /api/v1/transactions/batch (BENCH_BATCH_SIZE items), rotating the tenants' API keys,
 *    and prints requests/s, p50/p99 latency and, for the batch, rows/s.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateApiKey } from '../dist/src/api-keys/api-key.token.js';
import { createOwnerDataSource } from '../dist/src/database/data-source.js';
import { startEmbeddedPostgres } from '../dist/src/database/embedded-postgres.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const num = (name, fallback) => (env[name] ? Number(env[name]) : fallback);
const settings = {
  tenants: num('BENCH_TENANTS', 100),
  txns: num('BENCH_TXNS', 10_000),
  accounts: num('BENCH_ACCOUNTS', 100),
  duration: num('BENCH_DURATION', 10),
  connections: num('BENCH_CONNECTIONS', 20),
  batchSize: num('BENCH_BATCH_SIZE', 1000),
  batchConnections: num('BENCH_BATCH_CONNECTIONS', 2),
  poolSize: num('BENCH_POOL_SIZE', 20),
  database: env.BENCH_DB || 'fg_bench',
  reuse: env.BENCH_REUSE === '1',
};

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
    await timed(`seeded ${settings.tenants} tenants × ${settings.txns} transactions`, () => seed(url));
  }
  // Keys are stored hashed: mint fresh ones for this run (plaintext only in memory).
  const keys = await withClient(url, async (client) => {
    const issued = [];
    const { rows } = await client.query(`SELECT tenant_id FROM tenants WHERE tenant_id LIKE 'bench-%' ORDER BY tenant_id`);
    for (const row of rows) issued.push({ tenantId: row.tenant_id, ...generateApiKey() });
    await client.query(`DELETE FROM tenant_api_keys WHERE tenant_id LIKE 'bench-%'`);
    await client.query(
      `INSERT INTO tenant_api_keys (tenant_id, key_name, key_hash, key_prefix, scopes, rate_limit_per_minute)
       SELECT t, 'bench', h, p, ARRAY['read:transactions', 'write:transactions', 'read:alerts', 'read:accounts', 'write:accounts'], 100000000
         FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) AS k(t, h, p)`,
      [issued.map((k) => k.tenantId), issued.map((k) => k.hash), issued.map((k) => k.prefix)],
    );
    return issued.map((k) => k.key);
  });
  return { url, keys };
}

async function seed(url) {
  await withClient(url, async (client) => {
    await client.query('SET synchronous_commit = off');
    await client.query(
      `INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_email, plan, max_transactions_per_month)
       SELECT 'bench-' || lpad(g::text, 5, '0'), 'Bench ' || g, 'bench-' || g, 'admin@bench-' || g || '.example', 'ENTERPRISE', 2000000000
         FROM generate_series(1, $1) g`,
      [settings.tenants],
    );
    await client.query(
      `INSERT INTO accounts (tenant_id, external_ref, holder_name, country)
       SELECT t.tenant_id, 'acc-' || a, 'Holder ' || a, (ARRAY['DE', 'FR', 'GB', 'US', 'NL'])[1 + a % 5]
         FROM tenants t CROSS JOIN generate_series(1, $1) a WHERE t.tenant_id LIKE 'bench-%'`,
      [settings.accounts],
    );
    // One statement per tenant keeps each transaction (and its WAL) moderate.
    const { rows: tenants } = await client.query(`SELECT tenant_id FROM tenants WHERE tenant_id LIKE 'bench-%' ORDER BY tenant_id`);
    for (const { tenant_id } of tenants) {
      await client.query(
        `INSERT INTO transactions (tenant_id, account_id, external_id, amount, currency, merchant, merchant_category, country,
                                   device_id, txn_time, status, risk_score, risk_level, reasons, created_at)
         SELECT a.tenant_id, a.id, 'seed-' || i, 5 + ((i * 7919) % 20000) / 100.0, 'EUR', 'Merchant ' || (i % 40),
                (ARRAY['5411', '5812', '5999', '4111', '7995'])[1 + i % 5], a.country, 'device-' || (i % 3),
                now() - (i * interval '61 seconds'), 'APPROVED', 0, 'LOW', '[]', now()
           FROM generate_series(1, $2) i
           JOIN accounts a ON a.tenant_id = $1 AND a.external_ref = 'acc-' || (1 + i % $3)`,
        [tenant_id, settings.txns, settings.accounts],
      );
    }
    await client.query(
      `INSERT INTO tenant_monthly_usage (tenant_id, month, transactions)
       SELECT tenant_id, (date_trunc('month', now() AT TIME ZONE 'UTC'))::date, count(*) FROM transactions
        WHERE tenant_id LIKE 'bench-%' GROUP BY tenant_id
       ON CONFLICT (tenant_id, month) DO UPDATE SET transactions = EXCLUDED.transactions`,
    );
    await client.query('ANALYZE');
  });
}

async function startApi(ownerUrl) {
  const port = await freePort();
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=.data/profiles", profiles the API under load.
  const nodeArgs = (env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'dist/src/main.js')], {
    cwd: root,
    env: { ...env, DATABASE_URL: ownerUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DEMO_API_KEY: 'false', DB_POOL_SIZE: String(settings.poolSize), NODE_ENV: 'production', APP_DB_PASSWORD: env.APP_DB_PASSWORD || 'fraudguard_app_dev' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error('the API exited during start-up');
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return { base, child };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill('SIGTERM');
  throw new Error('the API did not become ready');
}

function run(label, options) {
  return new Promise((resolve, reject) => {
    autocannon({ duration: settings.duration, connections: settings.connections, ...options }, (error, result) => {
      if (error) return reject(error);
      resolve(result);
    });
  }).then((result) => {
    const non2xx = result.non2xx + result.errors + result.timeouts;
    console.log(
      `${label.padEnd(34)} ${result.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(result.latency.p50).padStart(4)} ms   p99 ${String(result.latency.p99).padStart(5)} ms` +
        (non2xx ? `   (${non2xx} non-2xx/errors)` : ''),
    );
    return result;
  });
}

function rotating(keys, build) {
  let n = 0;
  return [
    {
      setupRequest: (request) => {
        const i = n++;
        request.headers = { ...request.headers, 'x-api-key': keys[i % keys.length], 'content-type': 'application/json' };
        return build ? { ...request, ...build(i) } : request;
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

async function main() {
  let cluster;
  let serverUrl = env.BENCH_DATABASE_URL || env.DATABASE_URL;
  if (!serverUrl) {
    cluster = await startEmbeddedPostgres({ dir: path.join(root, '.data/bench'), port: num('BENCH_PG_PORT', 54339), persistent: true, database: 'postgres' });
    serverUrl = cluster.ownerUrl;
  }
  console.log(`settings: ${JSON.stringify(settings)}`);
  const { url, keys } = await prepareDatabase(serverUrl);
  const { base, child } = await startApi(url);
  try {
    await run('GET /transactions?limit=50', { url: `${base}/api/v1/transactions?limit=50`, requests: rotating(keys) });
    await run('POST /transactions', {
      url: `${base}/api/v1/transactions`,
      method: 'POST',
      requests: rotating(keys, (i) => ({ body: JSON.stringify(transaction(i)) })),
    });
    let batchNo = 0;
    const batch = await run(`POST /transactions/batch (${settings.batchSize})`, {
      url: `${base}/api/v1/transactions/batch`,
      method: 'POST',
      connections: settings.batchConnections,
      requests: rotating(keys, () => {
        const offset = batchNo++ * settings.batchSize;
        return { body: JSON.stringify({ transactions: Array.from({ length: settings.batchSize }, (_, j) => transaction(offset + j)) }) };
      }),
    });
    const rowsPerSecond = (batch['2xx'] * settings.batchSize) / settings.duration;
    console.log(`batch rows/s                       ${rowsPerSecond.toFixed(0).padStart(7)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    if (cluster) await cluster.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
