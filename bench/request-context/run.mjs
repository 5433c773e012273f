/**
 * Request-context benchmark: how the request's transaction reaches a repository, measured variant by
 * variant (server.mjs) on one or more Node binaries, interleaved round by round. Prints a Markdown
 * table of the medians and writes it, with the per-round figures, to bench/results-request-context.md.
 * Settings and how to read the figures: bench/README.md, "Request-context benchmark".
 */
import autocannon from 'autocannon';
import { fork, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { VARIANT_NAMES } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const env = process.env;
const num = (name, fallback) => (env[name] ? Number(env[name]) : fallback);

const settings = {
  serverUrl: env.BENCH_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  database: env.BENCH_DB || 'fg_bench_rctx',
  rounds: num('BENCH_ROUNDS', 3),
  duration: num('BENCH_DURATION', 3),
  warmup: num('BENCH_WARMUP', 2),
  connections: num('BENCH_CONNECTIONS', 10),
  /** Requests per second over all connections; unset: as fast as the server answers. */
  rate: num('BENCH_RATE', undefined),
  /** Paired mode: every variant measured at the same time as its Node's floor (for a busy machine). */
  paired: env.BENCH_PAIRED === '1',
  poolSize: num('BENCH_POOL_SIZE', 10),
  tenants: 50,
  rowsPerTenant: 200,
  variants: env.BENCH_VARIANTS ? env.BENCH_VARIANTS.split(',') : VARIANT_NAMES,
  results: env.BENCH_RESULTS ?? path.join(root, 'bench/results-request-context.md'),
};
for (const name of settings.variants) if (!VARIANT_NAMES.includes(name)) throw new Error(`BENCH_VARIANTS: unknown variant ${name} (${VARIANT_NAMES.join(', ')})`);

/** The Node binaries: BENCH_NODE (one path or a comma-separated list), else this Node and bench/node24's when installed. */
function nodeBinaries() {
  const node24 = path.join(root, 'bench/node24/node_modules/.bin/node');
  const paths = env.BENCH_NODE ? env.BENCH_NODE.split(',').map((p) => path.resolve(root, p)) : [process.execPath, ...(existsSync(node24) ? [node24] : [])];
  return paths.map((binary) => {
    const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error(`BENCH_NODE: \`${binary} --version\` failed: ${probe.error?.message ?? probe.stderr}`);
    return { binary, version: probe.stdout.trim() };
  });
}

function databaseUrl(database) {
  const url = new URL(settings.serverUrl);
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

async function createDatabase() {
  const name = pg.escapeIdentifier(settings.database);
  await withClient(settings.serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
  await withClient(databaseUrl(settings.database), async (client) => {
    await client.query(`CREATE TABLE rc_items (tenant_id text NOT NULL, id integer NOT NULL, name text NOT NULL, amount numeric(12, 2) NOT NULL, PRIMARY KEY (tenant_id, id))`);
    await client.query(
      `INSERT INTO rc_items SELECT 'tenant-' || t, i, 'item ' || i, (i * 7919 % 100000) / 100.0 FROM generate_series(1, $1) t, generate_series(1, $2) i`,
      [settings.tenants, settings.rowsPerTenant],
    );
    await client.query('VACUUM (ANALYZE) rc_items');
  });
}

async function dropDatabase() {
  await withClient(settings.serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(settings.database)} WITH (FORCE)`));
}

// --- Servers ------------------------------------------------------------------------------------------

class Server {
  constructor(node, variant, index) {
    this.node = node;
    this.variant = variant;
    this.applicationName = `rctx-${index}`;
    this.pending = new Map();
    this.nextId = 0;
  }

  start() {
    this.child = fork(path.join(here, 'server.mjs'), [], {
      execPath: this.node.binary,
      cwd: root,
      env: {
        ...env,
        NODE_ENV: 'production',
        RC_VARIANT: this.variant,
        RC_DATABASE_URL: databaseUrl(settings.database),
        RC_POOL_SIZE: String(settings.poolSize),
        RC_APPLICATION_NAME: this.applicationName,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`${this.label} exited (${code}) during start-up`)));
      this.child.on('message', (message) => {
        if (message.type === 'ready') {
          this.port = message.port;
          resolve(this);
        } else if (message.type === 'stats') {
          this.pending.get(message.id)?.(message);
          this.pending.delete(message.id);
        }
      });
    });
  }

  get label() {
    return `${this.node.version} ${this.variant}`;
  }

  stats() {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ type: 'stats', id });
    });
  }

  stop() {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.removeAllListeners('exit');
      this.child.once('exit', resolve);
      this.child.send({ type: 'stop' });
      setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
    });
  }
}

// --- Measuring ----------------------------------------------------------------------------------------

/** The same requests for every variant: the tenants in turn, one per request on each connection. */
const requests = Array.from({ length: settings.tenants }, (_, i) => ({ method: 'GET', path: '/items', headers: { 'x-tenant': `tenant-${i + 1}` } }));

function load(server, duration) {
  return new Promise((resolve, reject) => {
    const options = { url: `http://127.0.0.1:${server.port}`, duration, connections: settings.connections, requests };
    if (settings.rate) options.overallRate = settings.rate;
    autocannon(options, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

/** Every variant answers its tenant's rows, and none for a tenant without rows: the tenant setting reached the SELECT. */
async function checkAnswers(server) {
  const rows = async (tenant) => {
    const response = await fetch(`http://127.0.0.1:${server.port}/items`, { headers: { 'x-tenant': tenant } });
    if (!response.ok) throw new Error(`${server.label}: GET /items answered ${response.status}: ${await response.text()}`);
    return response.json();
  };
  const [some, none] = [await rows('tenant-3'), await rows('tenant-none')];
  if (some.length !== 20 || some[0].name !== 'item 1' || none.length !== 0) throw new Error(`${server.label}: unexpected rows (${some.length} for tenant-3, ${none.length} for an unknown tenant)`);
  server.contextBeforeInterceptor = (await server.stats()).contextBeforeInterceptor;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends of one server's pool (its application_name), when this machine runs the server. */
async function backendPids(monitor, server) {
  const { rows } = await monitor.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [server.applicationName]);
  return rows.map((row) => row.pid);
}
/** CPU seconds of each backend; one that has exited since `before` keeps its last reading. */
const backendsCpu = (pids, before) => new Map(pids.map((pid) => [pid, cpuSeconds(pid) || before?.get(pid) || 0]));
const sumSince = (after, before) => [...after].reduce((sum, [pid, seconds]) => sum + seconds - before.get(pid), 0);

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

/** Measures the servers of `group` side by side (one, or in paired mode the floor and a variant), each under its own load. */
async function measure(group, monitor, round) {
  // Refill the pools, which closed their idle connections while the other variants ran, and let the
  // last of those requests finish before the counters are read.
  await Promise.all(group.map((server) => load(server, 0.5)));
  await settle();
  const pids = await Promise.all(group.map((server) => backendPids(monitor, server)));
  const load1 = os.loadavg()[0];
  const before = await Promise.all(group.map((server) => server.stats()));
  const pgBefore = pids.map((list) => backendsCpu(list));
  const results = await Promise.all(group.map((server) => load(server, settings.duration)));
  // Let the requests still in flight finish, so that the counters cover whole requests.
  await settle();
  const pgCpu = pids.map((list, i) => sumSince(backendsCpu(list, pgBefore[i]), pgBefore[i]));
  const after = await Promise.all(group.map((server) => server.stats()));
  return group.map((server, i) => {
    const requests = after[i].requests - before[i].requests;
    const result = results[i];
    const figure = {
      round,
      cpuMs: (after[i].cpuMicros - before[i].cpuMicros) / 1000 / requests,
      pgCpuMs: pids[i].length ? (pgCpu[i] * 1000) / requests : undefined,
      roundTrips: (after[i].queries - before[i].queries) / requests,
      rps: result['2xx'] / result.duration,
      p99: result.latency.p99,
      failed: result.non2xx + result.errors + result.timeouts,
      load1,
    };
    console.log(
      `  ${server.label.padEnd(28)} CPU ${figure.cpuMs.toFixed(3)} ms/req   PG ${figure.pgCpuMs?.toFixed(3) ?? '–'} ms/req   ${figure.rps.toFixed(0).padStart(6)} req/s   p99 ${String(figure.p99).padStart(4)} ms   ${figure.roundTrips.toFixed(2)} round trips/req   load ${load1.toFixed(2)}` +
        (figure.failed ? `   (${figure.failed} non-2xx/errors/timeouts)` : ''),
    );
    return figure;
  });
}

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (value, digits) => (value === undefined ? '–' : value.toFixed(digits));

// --- Run ------------------------------------------------------------------------------------------

const nodes = nodeBinaries();
const started = new Date();
console.log(
  `Request-context benchmark: ${settings.variants.length} variants × ${nodes.map((n) => n.version).join(', ')}, ${settings.rounds} rounds × ${settings.duration} s, ` +
    `${settings.connections} connections, pool ${settings.poolSize}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} CPUs`,
);

await createDatabase();
const servers = nodes.flatMap((node, n) => settings.variants.map((variant, v) => new Server(node, variant, n * settings.variants.length + v)));
const monitor = new pg.Client({ connectionString: databaseUrl(settings.database) });
let exitCode = 0;
try {
  // One at a time: start-up is CPU-heavy and the machine small.
  for (const server of servers) await server.start();
  await monitor.connect();
  for (const server of servers) await checkAnswers(server);
  console.log(`Warm-up, ${settings.warmup} s each`);
  for (const server of servers) await load(server, settings.warmup);

  const figures = new Map(servers.map((server) => [server, []]));
  for (let round = 0; round < settings.rounds; round++) {
    // A different order every round (rotated, and reversed every other round), so the machine's
    // drift falls on every variant alike.
    const shift = (round * Math.max(1, Math.floor(servers.length / settings.rounds))) % servers.length;
    let order = [...servers.slice(shift), ...servers.slice(0, shift)];
    if (round % 2) order = order.reverse();
    console.log(`Round ${round + 1}/${settings.rounds}`);
    if (settings.paired) {
      // Each variant side by side with its Node's floor: both under the same machine at the same time.
      for (const server of order.filter((s) => s.variant !== 'floor')) {
        const floor = servers.find((s) => s.node === server.node && s.variant === 'floor');
        const [floorFigure, figure] = await measure([floor, server], monitor, round);
        figures.get(floor).push(floorFigure);
        figures.get(server).push({ ...figure, floorCpuMs: floorFigure.cpuMs });
      }
    } else {
      for (const server of order) figures.get(server).push(...(await measure([server], monitor, round)));
    }
  }
  const report = reportOf(figures);
  console.log(`\n${report}`);
  if (settings.results) {
    writeFileSync(settings.results, `${report}\n${perRound(figures)}`);
    console.log(`Written to ${path.relative(root, settings.results)}`);
  }
  if ([...figures.values()].flat().some((figure) => figure.failed)) {
    console.error('Some requests failed: the figures above are not comparable.');
    exitCode = 1;
  }
} finally {
  await monitor.end().catch(() => undefined);
  await Promise.all(servers.filter((server) => server.child).map((server) => server.stop()));
  await dropDatabase();
}
process.exit(exitCode);

function reportOf(figures) {
  const lines = [
    `Request-context benchmark, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} CPUs; ` +
      `${settings.rounds} interleaved rounds × ${settings.duration} s per variant, ${settings.connections} connections` +
      `${settings.rate ? ` at ${settings.rate} req/s in all` : ''}, pool ${settings.poolSize}; medians of the rounds. ` +
      (settings.paired ? 'Paired mode: each variant measured at the same time as its Node\'s floor, each under its own load. ' : '') +
      `\`GET /items\`: a 20-row tenant-scoped SELECT in a read-only transaction. CPU ms/request: the API process (process.cpuUsage); ` +
      `PostgreSQL: its pool's backends; round trips: queries its pg clients sent, per request.`,
    '',
    '| Node | variant | API CPU ms/req | Δ vs floor, ms (rounds\' range) | PostgreSQL CPU ms/req | req/s | p99 ms | round trips/req | load avg (1 min) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const signed = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
  for (const node of nodes) {
    const rows = [...figures].filter(([server]) => server.node === node);
    const floor = rows.find(([server]) => server.variant === 'floor')?.[1];
    for (const [server, list] of rows) {
      // Paired: each measurement against the floor measured beside it (paired mode) or in the same
      // round, so that the machine's drift cancels; the median of those differences, and their range.
      const deltas = floor && server.variant !== 'floor' ? list.map((f) => f.cpuMs - (f.floorCpuMs ?? floor.find((g) => g.round === f.round).cpuMs)) : undefined;
      const delta = deltas ? `${signed(median(deltas))} (${signed(Math.min(...deltas))} … ${signed(Math.max(...deltas))})` : '';
      lines.push(
        `| ${node.version} | \`${server.variant}\` | ${fmt(median(list.map((f) => f.cpuMs)), 3)} | ${delta} | ${fmt(median(list.map((f) => f.pgCpuMs)), 3)} | ${fmt(median(list.map((f) => f.rps)), 0)} | ` +
          `${fmt(median(list.map((f) => f.p99)), 0)} | ${fmt(median(list.map((f) => f.roundTrips)), 2)} | ${fmt(median(list.map((f) => f.load1)), 2)} |`,
      );
    }
  }
  const seen = servers.filter((server) => server.contextBeforeInterceptor !== undefined && server.node === nodes[0]);
  if (seen.length) {
    lines.push('', `A CLS context was already active when the transaction's interceptor ran: ${seen.map((s) => `\`${s.variant}\` ${s.contextBeforeInterceptor ? 'yes' : 'no'}`).join(', ')}.`);
  }
  return lines.join('\n');
}

function perRound(figures) {
  const lines = ['', 'Every measurement, in the order of the rounds:', '', '| round | Node | variant | API CPU ms/req | floor beside it | req/s | p99 ms | load avg |', '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |'];
  const all = [...figures].flatMap(([server, list]) => list.map((figure) => ({ server, figure })));
  all.sort((a, b) => a.figure.round - b.figure.round);
  for (const { server, figure } of all) {
    lines.push(
      `| ${figure.round + 1} | ${server.node.version} | \`${server.variant}\` | ${figure.cpuMs.toFixed(3)} | ${fmt(figure.floorCpuMs, 3)} | ${figure.rps.toFixed(0)} | ${figure.p99} | ${figure.load1.toFixed(2)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
