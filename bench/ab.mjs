/**
 * A/B mode: a git ref's build (A, e.g. the previous main) against the working tree's build (B), on
 * the same machine in the same run, interleaved.
 *
 *   npm run bench:ab -- <ref>          (or BENCH_AB_REF=<ref> npm run bench)
 *
 * 1. A is checked out, installed and built under .data/bench-ab/<ref>/ (ref-build.mjs; the folder is
 *    reused by the next run of that ref). B is the working tree, built by the npm script.
 * 2. Each build gets its own database (BENCH_DB + `_a` / `_b`) migrated by its own migrations and
 *    seeded alike (bench-database.mjs), and its own FraudGuard process on BENCH_NODE if set.
 * 3. BENCH_ROUNDS rounds; in each, every scenario runs for A and for B back to back, the order
 *    alternating from scenario to scenario and round to round, so drift of the machine's speed
 *    falls on both alike. Default scenarios: list, ingest, ingest-busy, batch; BENCH_SCENARIOS picks
 *    others (ingest-spread10, batch-busy, list-10k, list-big, and ceiling-list / ceiling-ingest, the
 *    ceiling as a reference on B's database).
 * 4. Reports per scenario the medians over the rounds for A and B — req/s (batch: txn/s), p50/p99,
 *    CPU ms per request of the server process and of PostgreSQL, the audit sealing lag on the busy
 *    scenarios when a build exposes it — and B/A, as a markdown table on stdout and in
 *    bench/results-ab.md (BENCH_RESULTS to write elsewhere).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { prepareDatabase, vacuumer, WRITTEN_TABLES } from './bench-database.mjs';
import {
  env, fmt, load, measure, median, num, only, ratio, root, RssSampler, sealLagOf, serverNode, settings, startCeiling,
  startFraudGuard, stopSystem, workload,
} from './harness.mjs';
import { prepareRefBuild, workingTreeRevision } from './ref-build.mjs';

const DEFAULT_SCENARIOS = ['list', 'ingest', 'ingest-busy', 'batch'];
const LABELS = {
  list: 'List `GET /transactions?limit=50`, every tenant\'s key in turn',
  'list-10k': 'List, one tenant with BENCH_TXNS rows',
  'list-big': 'List, the tenant with BENCH_BIG_TXNS rows',
  ingest: 'Single ingest `POST /transactions`, every tenant\'s key in turn',
  'ingest-spread10': 'Single ingest, ten tenants\' keys in turn, 1,000 account refs each',
  'ingest-busy': 'Single ingest, one busy tenant (one key, 1,000 account refs)',
  batch: 'Batch `POST /transactions/batch`, every tenant\'s key in turn',
  'batch-busy': 'Batch, one busy tenant (1,000 account refs)',
};
const CEILING_SCENARIOS = { 'ceiling-list': 'list', 'ceiling-ingest': 'ingest' };

export async function runAB(ref) {
  if (!ref) throw new Error('A/B mode needs a git ref: npm run bench:ab -- <ref>, or BENCH_AB_REF=<ref>');
  const names = only ? [...only] : DEFAULT_SCENARIOS;
  const unknown = names.filter((name) => !LABELS[name] && !CEILING_SCENARIOS[name]);
  if (unknown.length) throw new Error(`unknown A/B scenario(s) ${unknown.join(', ')}; known: ${[...Object.keys(LABELS), ...Object.keys(CEILING_SCENARIOS)].join(', ')}`);
  const started = new Date();
  const loadBefore = os.loadavg();
  console.log(`settings: ${JSON.stringify(settings)}`);
  console.log(`FraudGuard A and B${names.some((n) => CEILING_SCENARIOS[n]) ? ' and the ceiling' : ''} on ${serverNode.binary} (${serverNode.version})`);
  const revisionB = workingTreeRevision();
  const buildA = await prepareRefBuild(ref);
  let cluster;
  const systems = {};
  const samplers = {};
  try {
    let serverUrl = env.BENCH_DATABASE_URL || env.DATABASE_URL;
    if (!serverUrl) {
      const { startEmbeddedPostgres } = await import(pathToFileURL(path.join(root, 'dist/src/database/embedded-postgres.js')).href);
      cluster = await startEmbeddedPostgres({ dir: path.join(root, '.data/bench'), port: num('BENCH_PG_PORT', 54339), persistent: true, database: 'postgres' });
      serverUrl = cluster.ownerUrl;
    }
    const dbA = await prepareDatabase(serverUrl, `${settings.database}_a`, buildA.dir);
    const dbB = await prepareDatabase(serverUrl, `${settings.database}_b`, root);
    // One at a time: each runs its own migrations check and the app role's start-up tasks.
    systems.A = await startFraudGuard(dbA, { name: 'FraudGuard-A', dir: buildA.dir });
    systems.B = await startFraudGuard(dbB, { name: 'FraudGuard-B' });
    if (names.some((name) => CEILING_SCENARIOS[name])) systems.ceiling = await startCeiling(dbB);
    const builds = [
      { side: 'A', system: systems.A, db: dbA, ...(await vacuumer(dbA)) },
      { side: 'B', system: systems.B, db: dbB, ...(await vacuumer(dbB)) },
    ];
    const scenarios = names.map((name) => CEILING_SCENARIOS[name]
      ? { name, reference: { id: name, label: name, system: systems.ceiling, ...workload(CEILING_SCENARIOS[name], systems.ceiling.base, dbB) }, vacuum: builds[1].vacuum }
      : { name, sides: Object.fromEntries(builds.map((b) => [b.side, { id: name, label: `${name} ${b.side}`, system: b.system, vacuum: b.vacuum, ...workload(name, b.system.base, b.db) }])) });
    if (settings.warmup > 0) {
      console.log(`warm-up (${settings.warmup} s each)`);
      for (const scenario of scenarios) {
        for (const run of scenario.reference ? [scenario.reference] : Object.values(scenario.sides)) if (run.kind !== 'batch') await load(run, settings.warmup);
      }
    }
    if (builds[0].autovacuum !== 'on') console.log('autovacuum is off on this server: each scenario starts after a VACUUM (ANALYZE) of the written tables');
    for (const b of builds) (samplers[b.side] = new RssSampler(b.system.child.pid)).start();
    const results = {};
    for (let round = 1; round <= settings.rounds; round++) {
      console.log(`round ${round}/${settings.rounds}`);
      scenarios.forEach((scenario, index) => (scenario.order = (round - 1 + index) % 2 === 0 ? ['A', 'B'] : ['B', 'A']));
      for (const scenario of scenarios) {
        const figures = (results[scenario.name] ??= { A: [], B: [], reference: [] });
        if (scenario.reference) {
          await scenario.vacuum();
          figures.reference.push(await measure(scenario.reference));
          continue;
        }
        for (const side of scenario.order) {
          await scenario.sides[side].vacuum();
          figures[side].push({ ...(await measure(scenario.sides[side])), round });
        }
      }
    }
    const memory = { A: samplers.A.stop(), B: samplers.B.stop() };
    const text = report({ results, scenarios, memory, started, loadBefore, buildA, revisionB, dbA, dbB, autovacuum: builds[0].autovacuum });
    console.log(`\n${text}`);
    const out = env.BENCH_RESULTS || path.join(root, 'bench/results-ab.md');
    writeFileSync(out, text);
    console.log(`written to ${path.relative(root, out)}`);
  } finally {
    for (const sampler of Object.values(samplers)) sampler.stop();
    await Promise.all(Object.values(systems).map(stopSystem));
    if (cluster) await cluster.stop();
    buildA.release();
  }
}

function report({ results, scenarios, memory, started, loadBefore, buildA, revisionB, dbA, dbB, autovacuum }) {
  const m = (figures, field) => median(figures.map((figure) => figure[field]));
  const cpu = (figures, side) => median(figures.map((figure) => figure.cpu[side]));
  const rows = [];
  const row = (...cells) => rows.push(`| ${cells.join(' | ')} |`);
  row('Scenario', 'Figure (median of rounds)', 'A', 'B', 'B/A', 'B/A round by round');
  row('---', '---', '---:', '---:', '---:', '---');
  const failures = [];
  for (const scenario of scenarios.filter((s) => s.sides)) {
    const { A, B } = results[scenario.name];
    const batch = scenario.sides.A.kind === 'batch';
    const label = batch ? `${LABELS[scenario.name]} (${settings.batchSize} items, ${settings.batchConnections} conn.)` : `${LABELS[scenario.name]} (${settings.connections} conn.)`;
    // Round by round: A and B of the same round ran back to back, so their ratio drifts least.
    const byRound = (value) => A.map((a) => {
      const b = B.find((figure) => figure.round === a.round);
      return b ? fmt(ratio(value(b), value(a)), 2) : '–';
    }).join(', ');
    const figureRows = [
      [batch ? 'txn/s' : 'req/s', (f) => (batch ? f.txnPerSecond : f.rps), 0],
      ['p50 ms', (f) => f.p50, 0],
      ['p99 ms', (f) => f.p99, 0],
      ['CPU ms per request, server process', (f) => f.cpu.server, 2],
      ['CPU ms per request, all PostgreSQL processes', (f) => f.cpu.postgres, 2],
    ];
    figureRows.forEach(([name, value, digits], i) => {
      const a = median(A.map(value));
      const b = median(B.map(value));
      row(i === 0 ? label : '', name, fmt(a, digits), fmt(b, digits), fmt(ratio(b, a), 2), byRound(value));
    });
    if (scenario.sides.A.sealLag) {
      const lag = (figures) => {
        const l = sealLagOf(figures);
        return l ? `${fmt(l.p99, 2)} / ${fmt(l.max, 2)}` : 'n/a';
      };
      row('', 'audit sealing lag p99 / max s (target p99 ≤ 2 s)', lag(A), lag(B), '', '');
    }
    for (const [side, figures] of [['A', A], ['B', B]]) {
      const failed = figures.reduce((sum, figure) => sum + figure.failed, 0);
      if (failed) failures.push(`${scenario.name} ${side}: ${failed}`);
    }
  }
  const peak = (side) => Math.max(memory[side].sampledPeakMb, memory[side].hwmMb);
  row('Resident memory under load', 'peak MB (sampled / VmHWM)', `${fmt(memory.A.sampledPeakMb, 1)} / ${fmt(memory.A.hwmMb, 1)}`, `${fmt(memory.B.sampledPeakMb, 1)} / ${fmt(memory.B.hwmMb, 1)}`, fmt(ratio(peak('B'), peak('A')), 2), '');

  const references = scenarios.filter((s) => s.reference);
  const referenceRows = references.length
    ? [
        '',
        'Reference: the ceiling (`bench/ceiling/server.mjs` of the working tree, on B\'s database), measured in the same rounds:',
        '',
        '| Scenario | req/s | p50 / p99 ms | CPU ms per request, server / PostgreSQL |',
        '| --- | ---: | ---: | ---: |',
        ...references.map((s) => {
          const figures = results[s.name].reference;
          return `| ${s.name} | ${fmt(m(figures, 'rps'))} | ${fmt(m(figures, 'p50'))} / ${fmt(m(figures, 'p99'))} | ${fmt(cpu(figures, 'server'), 2)} / ${fmt(cpu(figures, 'postgres'), 2)} |`;
        }),
      ]
    : [];
  for (const s of references) {
    const failed = results[s.name].reference.reduce((sum, figure) => sum + figure.failed, 0);
    if (failed) failures.push(`${s.name}: ${failed}`);
  }

  const full = settings.tenants >= 100 && settings.txns >= 10_000 && settings.bigTxns >= 1_000_000 && settings.rounds >= 3;
  const perRound = (f) => `${(f.txnPerSecond ?? f.rps).toFixed(0)}${f.txnPerSecond !== undefined ? ' txn/s' : ''} (${f.p50}/${f.p99}) [CPU ${f.cpu.server.toFixed(2)}/${f.cpu.postgres.toFixed(2)} ms]${f.sealLag ? ` seal lag max ${Math.max(...f.sealLag).toFixed(2)} s` : ''}`;
  return [
    '# A/B benchmark',
    '',
    `${started.toISOString()} — ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average before the run ${loadBefore.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    `- **A**: \`${buildA.ref}\` = ${buildA.commit} (${buildA.subject}); built in \`${path.relative(root, buildA.dir)}\` (${buildA.reuse.install ? 'node_modules reused' : 'fresh npm ci'}, ${buildA.reuse.build ? 'build reused' : 'fresh build'}); database \`${dbA.database}\`.`,
    `- **B**: the working tree, ${revisionB.commit}${revisionB.dirty ? ' + uncommitted changes' : ''} (${revisionB.subject}); database \`${dbB.database}\`.`,
    `- Both servers on Node ${serverNode.version}${serverNode.chosen ? ` (BENCH_NODE=${env.BENCH_NODE})` : ''}; autocannon on Node ${process.version}.`,
    '',
    'Each build serves its own database, migrated by its own migrations and seeded alike. In every round each scenario runs for A and B back to back, the order alternating from scenario to scenario and round to round. B/A above 1 means B serves more (req/s, txn/s) or costs more (latency, CPU).',
    '',
    `Settings: ${JSON.stringify(settings)}`,
    '',
    autovacuum === 'on'
      ? 'Autovacuum is on.'
      : `Autovacuum is ${autovacuum} on this server, so each measured scenario starts after a \`VACUUM (ANALYZE)\` of the tables the systems write (${WRITTEN_TABLES.join(', ')}) in that build's database.`,
    '',
    full ? 'Full configuration.' : '**Reduced configuration (development smoke run): the figures are only an indication, not the benchmark.**',
    '',
    ...rows,
    ...referenceRows,
    '',
    `Errors / non-2xx answers during measurement: ${failures.length ? failures.join(', ') : 'none'}.`,
    '',
    'Per round (req/s or txn/s, p50/p99 ms, [CPU ms per request: server / PostgreSQL]):',
    '',
    ...scenarios.flatMap((s) => (s.reference
      ? [`- ${s.name}: ${results[s.name].reference.map(perRound).join(', ')}`]
      : ['A', 'B'].map((side) => `- ${s.name} ${side}: ${results[s.name][side].map(perRound).join(', ')}`))),
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAB(process.argv[2] || env.BENCH_AB_REF).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
