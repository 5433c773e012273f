/**
 * Do the public auth routes answer in the same time whether or not the e-mail has an account?
 * `npm run build && node bench/auth-timing.mjs` (DATABASE_URL: a superuser URL of a PostgreSQL server).
 *
 * Creates and migrates a throwaway database, seeds one organization with one user, starts the built
 * API (rate limits lifted, no slow-down or lockout in the way), then sends BENCH_PAIRS interleaved
 * pairs per scenario — a known and an unknown e-mail, in random order within each pair — and prints
 * the median of each side, the median of the per-pair difference (known − unknown), and in how many
 * pairs the known e-mail was slower. Equal work shows as a median difference near 0 and about half
 * the pairs slower. Not a test: timing is measured here, never asserted.
 */
import argon2 from 'argon2';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { appPassword, databaseUrl, freePort, median, root, withClient } from './harness.mjs';

const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) throw new Error('set DATABASE_URL to a superuser URL of a PostgreSQL server');
const PAIRS = Number(process.env.BENCH_PAIRS || 30);
const database = `fg_bench_auth_${process.pid}`;
const ownerUrl = databaseUrl(serverUrl, database);
const PASSWORD = 'Correct-Horse-7';
const KNOWN = 'known-user@bench.example';

async function prepare() {
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  const { createOwnerDataSource } = await import(pathToFileURL(path.join(root, 'dist/src/database/data-source.js')).href);
  const owner = createOwnerDataSource(ownerUrl);
  await owner.initialize();
  await owner.runMigrations({ transaction: 'each' });
  await owner.destroy();
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  await withClient(ownerUrl, async (client) => {
    await client.query(`INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_email, status) VALUES ('bench-auth', 'Bench', 'bench-auth', $1, 'ACTIVE')`, [KNOWN]);
    await client.query(`INSERT INTO tenant_users (tenant_id, email, password_hash, role) VALUES ('bench-auth', $1, $2, 'ADMIN')`, [KNOWN, hash]);
  });
}

async function startApi() {
  const port = await freePort();
  const lifted = '1000000';
  const child = spawn(process.execPath, [path.join(root, 'dist/src/main.js')], {
    env: {
      PATH: process.env.PATH, DATABASE_URL: ownerUrl, APP_DB_PASSWORD: appPassword, MIGRATIONS_RUN: 'false', DEMO_API_KEY: 'false',
      HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', MAIL_OUTBOX_DIR: mkdtempSync(path.join(os.tmpdir(), 'fg-bench-outbox-')),
      AUTH_RATE_LIMIT_PER_IP: lifted, LOGIN_RATE_LIMIT_PER_EMAIL: lifted, PASSWORD_RESET_RATE_LIMIT_PER_EMAIL: lifted,
      LOGIN_MAX_FAILURES: '100', LOGIN_SLOWDOWN_MS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return { child, base };
    } catch {
      // not listening yet
    }
    if (i > 120) throw new Error('the API did not start');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function timedPost(url, body) {
  const start = process.hrtime.bigint();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: res.status };
}

async function scenario(name, url, known, unknown) {
  for (let i = 0; i < 3; i++) await timedPost(url, known(i)), await timedPost(url, unknown(i)); // warm-up
  const k = [];
  const u = [];
  const statuses = new Set();
  for (let i = 0; i < PAIRS; i++) {
    const order = Math.random() < 0.5 ? ['k', 'u'] : ['u', 'k'];
    for (const side of order) {
      const result = await timedPost(url, side === 'k' ? known(i) : unknown(i));
      statuses.add(`${side}:${result.status}`);
      (side === 'k' ? k : u).push(result.ms);
    }
  }
  const differences = k.map((ms, i) => ms - u[i]);
  return {
    scenario: name,
    known_median_ms: median(k).toFixed(2),
    unknown_median_ms: median(u).toFixed(2),
    median_difference_ms: median(differences).toFixed(2),
    known_slower_pairs: `${differences.filter((d) => d > 0).length}/${PAIRS}`,
    statuses: [...statuses].sort().join(' '),
  };
}

await prepare();
const api = await startApi();
try {
  const rows = [
    await scenario('forgot-password', `${api.base}/api/v1/auth/forgot-password`, () => ({ email: KNOWN }), (i) => ({ email: `nobody-${i}@bench.example` })),
    await scenario('login, wrong password', `${api.base}/api/v1/auth/login`, () => ({ email: KNOWN, password: 'Wrong-Password-1' }), (i) => ({ email: `nobody-${i}@bench.example`, password: 'Wrong-Password-1' })),
  ];
  console.table(rows);
} finally {
  api.child.kill('SIGTERM');
  await new Promise((resolve) => api.child.once('exit', resolve));
  await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
}
