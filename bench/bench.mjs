/**
 * Benchmark against peers (not part of `npm test`; `npm run bench` builds first). Plain JavaScript
 * importing the compiled build, like the test global setup.
 *
 * 1. Creates a database (BENCH_DB, default fg_bench) on the server of DATABASE_URL (a superuser or
 *    owner URL; without it an embedded cluster under .data/bench), migrates it, and fills it as the
 *    owner with generate_series: BENCH_TENANTS tenants × BENCH_TXNS transactions over
 *    BENCH_ACCOUNTS accounts each, one "big" tenant with BENCH_BIG_TXNS transactions, and eleven
 *    tenants for the busy-tenant load (one busy, ten to spread it over) with BENCH_TXNS transactions
 *    over 1,000 accounts each; mints one API key per tenant (rate limit lifted). bench-database.mjs.
 * 2. Starts, on loopback, with the same pool size (BENCH_POOL_SIZE): FraudGuard
 *    (`node dist/src/main.js`, NODE_ENV=production, RATE_LIMIT_ENABLED=false, PLATFORM_ADMIN_TOKEN
 *    for /metrics), the ceiling (bench/ceiling/server.mjs, Fastify + pg and nothing else), both on
 *    BENCH_NODE if set, and PostGraphile 5 (bench/postgraphile/server.mjs on the node@22 binary of
 *    bench/postgraphile/node_modules).
 * 3. Runs BENCH_ROUNDS rounds, each interleaving the systems:
 *    FG list, ceiling list, PGL list, FG ingest, ceiling ingest, PGL ingest, FG busy-tenant ingest,
 *    FG ingest spread over ten tenants, FG batch, FG busy-tenant batch, FG list of one 10k-row tenant,
 *    FG list of the big tenant — autocannon, BENCH_CONNECTIONS connections, BENCH_DURATION seconds
 *    each; FraudGuard's resident memory is sampled from /proc throughout, the audit sealing lag from
 *    /metrics during the busy scenarios (when the build has that gauge).
 * 4. Prints the medians over the rounds as markdown tables with the ratios and targets, and
 *    writes them to bench/results.md (BENCH_RESULTS to write elsewhere).
 *
 * BENCH_SCENARIOS=fg-list,… runs only those scenarios (e.g. for a CPU profile with
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=.data/profiles"; BENCH_CEILING_NODE_ARGS for the ceiling).
 * BENCH_AB_REF=<git ref> runs the A/B mode instead (ab.mjs).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../dist/src/database/embedded-postgres.js';
import { runAB } from './ab.mjs';
import { prepareDatabase, vacuumer, WRITTEN_TABLES } from './bench-database.mjs';
import {
  env, fmt, load, measure, median, met, num, only, ratio, root, rotating, RssSampler, sealLagOf, serverNode, settings,
  startCeiling, startFraudGuard, startSystem, stopSystem, transaction, workload,
} from './harness.mjs';

function startPostGraphile(db) {
  const dir = path.join(root, 'bench/postgraphile');
  const node22 = path.join(dir, 'node_modules/.bin/node');
  return startSystem('PostGraphile', node22, [path.join(dir, 'server.mjs')], {
    cwd: dir,
    env: { APP_DATABASE_URL: db.appUrl, NODE_ENV: 'production', GRAPHILE_ENV: 'production' },
  }, '/graphql');
}

// ---------------------------------------------------------------------------------------------
// Scenarios

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
  const on = (id, system, name) => ({ id, system, ...workload(name, system.base, db) });
  // A reference below the ceiling: the ceiling server's bare account upsert + insert.
  const bareIngest = on('bare-ingest', ceiling, 'ingest');
  bareIngest.options.url = `${ceiling.base}/bare/transactions`;
  return [
    on('fg-list', fg, 'list'),
    on('ceiling-list', ceiling, 'list'),
    {
      id: 'pgl-list',
      system: pgl,
      kind: 'list',
      options: { url: `${pgl.base}/graphql`, method: 'POST', requests: rotating(db.tenants, () => ({ body: JSON.stringify({ query: PGL_LIST }) })) },
      // GraphQL answers 200 with `errors` on failure: check a response once before measuring.
      check: { body: JSON.stringify({ query: PGL_LIST }), ok: (json) => Array.isArray(json?.data?.allTransactions?.nodes) && json.data.allTransactions.nodes.length > 0 },
    },
    on('fg-ingest', fg, 'ingest'),
    on('ceiling-ingest', ceiling, 'ingest'),
    bareIngest,
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
    // One tenant's load, and the same load spread over ten tenants, side by side.
    on('fg-ingest-busy', fg, 'ingest-busy'),
    on('fg-ingest-spread10', fg, 'ingest-spread10'),
    on('fg-batch', fg, 'batch'),
    on('fg-batch-busy', fg, 'batch-busy'),
    on('fg-list-10k', fg, 'list-10k'),
    on('fg-list-big', fg, 'list-big'),
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

// ---------------------------------------------------------------------------------------------
// Report

function report(results, memory, started, loadBefore, autovacuum) {
  const m = (id, field) => median((results[id] ?? []).map((figure) => figure[field]));
  const failed = (id) => (results[id] ?? []).reduce((sum, figure) => sum + figure.failed, 0);
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
      `FraudGuard and ceiling on Node ${serverNode.version}${serverNode.chosen ? ` (BENCH_NODE=${env.BENCH_NODE})` : ''}, PostGraphile on the node@22 binary, autocannon on Node ${process.version}.`,
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
    ...busyReport(results),
    '',
    `Errors / non-2xx answers during measurement: ${failures.length ? failures.join(', ') : 'none'}.`,
    '',
    'Per round (req/s, p50/p99 ms, [CPU ms per request: server / PostgreSQL]):',
    '',
    ...Object.entries(results).map(([id, figures]) => `- ${id}: ${figures.map((f) => `${f.rps.toFixed(0)} (${f.p50}/${f.p99})${f.txnPerSecond !== undefined ? ` ${f.txnPerSecond.toFixed(0)} txn/s` : ''} [CPU ${f.cpu.server.toFixed(2)}/${f.cpu.postgres.toFixed(2)} ms]${f.sealLag ? ` seal lag max ${Math.max(...f.sealLag).toFixed(2)} s` : ''}`).join(', ')}`),
    '',
  ].join('\n');
  return text;
}


/**
 * The busy tenant's table: the busy tenant against the same load spread over ten tenants and against the
 * ceiling, the busy tenant's batch, and the audit sealing lag during the busy scenarios.
 */
function busyReport(results) {
  const m = (id, field) => median((results[id] ?? []).map((figure) => figure[field]));
  const cpuOf = (id, side) => median((results[id] ?? []).map((figure) => figure.cpu[side]));
  const cpu = (id) => (results[id] ? `${fmt(cpuOf(id, 'server'), 2)} / ${fmt(cpuOf(id, 'postgres'), 2)}` : '–');
  const rows = [];
  const row = (...cells) => rows.push(`| ${cells.join(' | ')} |`);
  row('Busy tenant (median of rounds)', 'Value', 'Reference', 'Ratio', 'Target', 'Met');
  row('---', '---:', '---:', '---:', '---', '---');
  const busy = m('fg-ingest-busy', 'rps');
  const spread = m('fg-ingest-spread10', 'rps');
  const ceiling = m('ceiling-ingest', 'rps');
  const busyRatio = ratio(busy, spread);
  row(`Single ingest, one tenant, one key, ${settings.connections} conn., 1,000 account refs, req/s vs the same load over 10 tenants`, fmt(busy), fmt(spread), fmt(busyRatio, 2), '≥ 0.9× spread', met(busyRatio === undefined ? undefined : busyRatio >= 0.9));
  const p99Ratio = ratio(m('fg-ingest-busy', 'p99'), m('ceiling-ingest', 'p99'));
  row('Busy-tenant single ingest p99 ms vs the ceiling\'s ingest p99 ms', fmt(m('fg-ingest-busy', 'p99')), fmt(m('ceiling-ingest', 'p99')), fmt(p99Ratio, 2), '≤ 3× ceiling', met(p99Ratio === undefined ? undefined : p99Ratio <= 3));
  const spreadRatio = ratio(spread, ceiling);
  row('Spread single ingest (10 tenants) req/s vs the ceiling\'s ingest req/s', fmt(spread), fmt(ceiling), fmt(spreadRatio, 2), '≥ 0.75× ceiling', met(spreadRatio === undefined ? undefined : spreadRatio >= 0.75));
  row('p50 / p99 ms: busy vs spread', `${fmt(m('fg-ingest-busy', 'p50'))} / ${fmt(m('fg-ingest-busy', 'p99'))}`, `${fmt(m('fg-ingest-spread10', 'p50'))} / ${fmt(m('fg-ingest-spread10', 'p99'))}`, '', '', '');
  row('CPU ms per request, server process / all PostgreSQL processes: busy vs spread', cpu('fg-ingest-busy'), cpu('fg-ingest-spread10'), '', '', '');
  const batchBusy = m('fg-batch-busy', 'txnPerSecond');
  row(`Batch, one tenant (${settings.batchSize} items, ${settings.batchConnections} conn.) txn/s vs batch over all tenants`, fmt(batchBusy), fmt(m('fg-batch', 'txnPerSecond')), fmt(ratio(batchBusy, m('fg-batch', 'txnPerSecond')), 2), '', '');
  row('Batch, one tenant: p50 / p99 ms; CPU ms per request, server / PostgreSQL', `${fmt(m('fg-batch-busy', 'p50'))} / ${fmt(m('fg-batch-busy', 'p99'))}; ${cpu('fg-batch-busy')}`, '', '', '', '');
  for (const id of ['fg-ingest-busy', 'fg-ingest-spread10', 'fg-batch-busy']) {
    const lag = sealLagOf(results[id]);
    row(`Audit sealing lag during ${id} (\`fraudguard_audit_seal_lag_seconds\`, every 200 ms): p99 / max s`,
      lag ? `${fmt(lag.p99, 2)} / ${fmt(lag.max, 2)} (${lag.samples} samples)` : 'n/a', '', '', '≤ 2 s p99', met(lag ? lag.p99 <= 2 : undefined));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (env.BENCH_AB_REF) return runAB(env.BENCH_AB_REF);
  const started = new Date();
  const loadBefore = os.loadavg();
  let cluster;
  let serverUrl = env.BENCH_DATABASE_URL || env.DATABASE_URL;
  if (!serverUrl) {
    cluster = await startEmbeddedPostgres({ dir: path.join(root, '.data/bench'), port: num('BENCH_PG_PORT', 54339), persistent: true, database: 'postgres' });
    serverUrl = cluster.ownerUrl;
  }
  console.log(`settings: ${JSON.stringify(settings)}`);
  console.log(`FraudGuard and the ceiling on ${serverNode.binary} (${serverNode.version})`);
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
