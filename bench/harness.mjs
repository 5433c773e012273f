/**
 * What the benchmark's two modes share (`bench.mjs`: FraudGuard against its peers; `ab.mjs`: two
 * builds of FraudGuard side by side): the settings, starting and stopping the servers, the request
 * plans, measuring a scenario (autocannon, CPU time per request from /proc, the audit sealing lag from
 * /metrics) and the medians.
 */
import autocannon from 'autocannon';
import { spawn, spawnSync } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const env = process.env;
export const num = (name, fallback) => (env[name] ? Number(env[name]) : fallback);
export const settings = {
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
/** BENCH_SCENARIOS=id,id,… runs only those scenarios. */
export const only = env.BENCH_SCENARIOS ? new Set(env.BENCH_SCENARIOS.split(',')) : undefined;
export const appPassword = env.APP_DB_PASSWORD || 'fraudguard_app_dev';
/** Enables FraudGuard's /metrics (X-Admin-Token), where the audit sealing lag is read. */
export const adminToken = env.BENCH_ADMIN_TOKEN || 'bench-only-admin-token-0123456789abcdef';

/** The busy tenant's (and each spread tenant's) account refs: one tenant's load, and the same load spread over ten. */
export const BUSY_ACCOUNTS = 1000;
export const SEAL_LAG_GAUGE = 'fraudguard_audit_seal_lag_seconds';

export function databaseUrl(serverUrl, database) {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function timed(label, work) {
  const started = Date.now();
  const result = await work();
  console.log(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Servers

/**
 * The Node binary of FraudGuard's and the ceiling's server processes: BENCH_NODE (e.g. the Node 24
 * of bench/node24), else the one running this script. Checked once with --version.
 */
export const serverNode = (() => {
  const binary = env.BENCH_NODE ? path.resolve(env.BENCH_NODE) : process.execPath;
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`BENCH_NODE=${env.BENCH_NODE}: \`${binary} --version\` failed: ${probe.error?.message ?? probe.stderr}`);
  return { binary, version: probe.stdout.trim(), chosen: Boolean(env.BENCH_NODE) };
})();

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

export async function startSystem(name, command, args, options, readyPath) {
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

/** FraudGuard's build in `dir` (the working tree, or an A/B ref's worktree) against `db`. */
export async function startFraudGuard(db, { name = 'FraudGuard', dir = root } = {}) {
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=.data/profiles", profiles the API under load.
  const nodeArgs = (env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean);
  const system = await startSystem(name, serverNode.binary, [...nodeArgs, path.join(dir, 'dist/src/main.js')], {
    cwd: dir,
    env: {
      DATABASE_URL: db.ownerUrl,
      APP_DB_PASSWORD: appPassword,
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DEMO_API_KEY: 'false',
      RATE_LIMIT_ENABLED: 'false',
      PLATFORM_ADMIN_TOKEN: adminToken,
      JWT_SECRET: env.JWT_SECRET || 'bench-only-secret-bench-only-secret-0123456789',
    },
  }, '/health/ready');
  return { ...system, adminToken };
}

export function startCeiling(db) {
  const nodeArgs = (env.BENCH_CEILING_NODE_ARGS || '').split(' ').filter(Boolean);
  return startSystem('ceiling', serverNode.binary, [...nodeArgs, path.join(root, 'bench/ceiling/server.mjs')], { env: { APP_DATABASE_URL: db.appUrl, NODE_ENV: 'production' } }, '/');
}

export async function stopSystem(system) {
  if (!system || system.child.exitCode !== null) return;
  const exited = new Promise((resolve) => system.child.once('exit', resolve));
  system.child.kill('SIGTERM');
  await exited;
}

/** Peak VmRSS of a process, sampled from /proc while `work` runs. */
export class RssSampler {
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

export function rotating(keys, build) {
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

export function transaction(i, accounts = settings.accounts) {
  return {
    account_ref: `acc-${1 + (i % accounts)}`,
    amount: (5 + ((i * 7919) % 20000) / 100).toFixed(2),
    currency: 'EUR',
    merchant: `Merchant ${i % 45}`,
    merchant_category: ['5411', '5812', '5999', '4111', '7995'][i % 5],
    country: ['DE', 'FR', 'GB', 'US', 'NL', 'BR'][i % 6],
    device_id: `device-${i % 4}`,
  };
}

/**
 * The request plans, for any server that answers FraudGuard's routes at `base`:
 * - list, list-10k, list-big: `GET /transactions?limit=50` rotating every tenant's key, one 10k-row
 *   tenant's key, the big tenant's key;
 * - ingest: single `POST /transactions`, rotating every tenant's key (request i: account acc-(1 + i mod BENCH_ACCOUNTS));
 * - ingest-busy: the same POST, all on the busy tenant's one key, account_ref cycling over 1,000 refs;
 * - ingest-spread10: that load rotated over ten tenants' keys request by request, each tenant's
 *   requests cycling over its own 1,000 refs (same bodies, tenant by tenant, as the busy tenant's);
 * - batch, batch-busy: `POST /transactions/batch` of BENCH_BATCH_SIZE items, BENCH_BATCH_CONNECTIONS
 *   connections, rotating every tenant's key / the busy tenant's key over its 1,000 refs.
 * `sealLag` marks the busy scenarios, during which the audit sealing lag is sampled.
 */
export function workload(name, base, db) {
  const list = (keys) => ({ kind: 'list', options: { url: `${base}/api/v1/transactions?limit=50`, requests: rotating(keys) } });
  const busyIngest = (keys) => ({
    kind: 'ingest',
    sealLag: true,
    options: {
      url: `${base}/api/v1/transactions`,
      method: 'POST',
      requests: rotating(keys, (i) => ({ body: JSON.stringify(transaction(Math.floor(i / keys.length), BUSY_ACCOUNTS)) })),
    },
  });
  const batch = (keys, accounts) => {
    let batchNo = 0;
    return {
      url: `${base}/api/v1/transactions/batch`,
      method: 'POST',
      connections: settings.batchConnections,
      requests: rotating(keys, () => {
        const offset = batchNo++ * settings.batchSize;
        return { body: JSON.stringify({ transactions: Array.from({ length: settings.batchSize }, (_, j) => transaction(offset + j, accounts)) }) };
      }),
    };
  };
  switch (name) {
    case 'list':
      return list(db.tenants);
    case 'list-10k':
      return list([db.tenants[0]]);
    case 'list-big':
      return list([db.big]);
    case 'ingest':
      return {
        kind: 'ingest',
        options: { url: `${base}/api/v1/transactions`, method: 'POST', requests: rotating(db.tenants, (i) => ({ body: JSON.stringify(transaction(i)) })) },
      };
    case 'ingest-busy':
      return busyIngest([db.busy]);
    case 'ingest-spread10':
      return busyIngest(db.spread);
    case 'batch':
      return { kind: 'batch', options: batch(db.tenants, settings.accounts) };
    case 'batch-busy':
      return { kind: 'batch', sealLag: true, options: batch([db.busy], BUSY_ACCOUNTS) };
    default:
      throw new Error(`unknown workload ${name}`);
  }
}

export function load(scenario, duration) {
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

/** The databases the benchmark serves (added by bench-database.mjs). */
export const benchDatabases = new Set();

/**
 * A backend's process title (update_process_title, on by default) is `postgres: [cluster: ]user
 * database host(port) state`; the database it serves, or undefined for the postmaster and the
 * background processes.
 */
function backendDatabase(pid) {
  const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  return title.match(/^postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\]) /)?.[1];
}

/**
 * CPU seconds per PostgreSQL process (postmaster, background processes, the backends of the bench's
 * databases), by pid. Backends of other databases on a shared server are left out: their work is not
 * the benchmark's. Compared pid by pid: a backend that exits during a run (another system's idle pool
 * closing) would otherwise take its whole history out of the sum.
 */
function postgresCpu() {
  const byPid = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const database = backendDatabase(entry);
      if (database === undefined || benchDatabases.has(database)) byPid.set(entry, cpuSeconds(entry));
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

/** The largest value of the seal-lag gauge in a /metrics answer (one series or several), or undefined. */
export function sealLagIn(text) {
  let lag;
  for (const match of text.matchAll(new RegExp(`^${SEAL_LAG_GAUGE}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'gm'))) {
    const value = Number(match[1]);
    if (!Number.isNaN(value)) lag = Math.max(lag ?? value, value);
  }
  return lag;
}

async function readSealLag(system) {
  try {
    const response = await fetch(`${system.base}/metrics`, { headers: { 'x-admin-token': system.adminToken } });
    return response.ok ? sealLagIn(await response.text()) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples the audit sealing lag every 200 ms while a busy scenario runs, when the build exposes the
 * gauge (a build without /metrics or without the gauge: no samples, reported as n/a).
 */
async function sampleSealLag(system) {
  const samples = [];
  if (!system.adminToken || (await readSealLag(system)) === undefined) return { samples, stop: async () => undefined };
  let running = true;
  const loop = (async () => {
    while (running) {
      const next = new Promise((resolve) => setTimeout(resolve, 200));
      const lag = await readSealLag(system);
      if (lag !== undefined) samples.push(lag);
      await next;
    }
  })();
  return { samples, stop: async () => ((running = false), await loop, samples) };
}

export async function measure(scenario) {
  // CPU per request, besides req/s: the machine's speed drifts, CPU time per request much less.
  const sealLag = scenario.sealLag ? await sampleSealLag(scenario.system) : undefined;
  const cpuBefore = { server: cpuSeconds(scenario.system.child.pid), postgres: postgresCpu() };
  const result = await load(scenario, settings.duration);
  const requests = result['2xx'] || 1;
  const cpu = {
    server: ((cpuSeconds(scenario.system.child.pid) - cpuBefore.server) * 1000) / requests,
    postgres: (postgresCpuSince(cpuBefore.postgres) * 1000) / requests,
  };
  const lagSamples = await sealLag?.stop();
  const failed = result.non2xx + result.errors + result.timeouts;
  const figure = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.average,
    failed,
    cpu,
    txnPerSecond: scenario.kind === 'batch' ? (result['2xx'] * settings.batchSize) / result.duration : undefined,
    sealLag: lagSamples?.length ? lagSamples : undefined,
  };
  const lag = figure.sealLag ? `   seal lag p99 ${percentile(figure.sealLag, 99).toFixed(2)} s, max ${Math.max(...figure.sealLag).toFixed(2)} s` : '';
  console.log(
    `  ${(scenario.label ?? scenario.id).padEnd(20)} ${figure.rps.toFixed(0).padStart(7)} req/s   p50 ${String(figure.p50).padStart(4)} ms   p99 ${String(figure.p99).padStart(5)} ms   mean ${figure.mean.toFixed(2).padStart(6)} ms` +
      (figure.txnPerSecond !== undefined ? `   ${figure.txnPerSecond.toFixed(0)} txn/s` : '') +
      `   CPU ms/req ${figure.cpu.server.toFixed(2)} server, ${figure.cpu.postgres.toFixed(2)} PostgreSQL` +
      lag +
      (failed ? `   (${failed} non-2xx/errors/timeouts)` : ''),
  );
  return figure;
}

// ---------------------------------------------------------------------------------------------
// Figures

export const median = (values) => {
  const sorted = values.filter((v) => v !== undefined && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Nearest-rank percentile. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The sealing lag over every round of a scenario: p99 and max of all samples, or undefined (n/a). */
export function sealLagOf(figures) {
  const samples = (figures ?? []).flatMap((figure) => figure.sealLag ?? []);
  return samples.length ? { p99: percentile(samples, 99), max: Math.max(...samples), samples: samples.length } : undefined;
}

export const fmt = (value, digits = 0) => (value === undefined ? '–' : value.toFixed(digits));
export const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
export const met = (ok) => (ok === undefined ? '–' : ok ? 'yes' : '**no**');
