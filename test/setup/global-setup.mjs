/**
 * Plain JavaScript on purpose: jest loads global setup outside its ESM transform, so this imports
 * the compiled build (`npm test` builds first).
 *
 * Once per `npm test`: find a PostgreSQL server (DATABASE_URL, else a throwaway embedded cluster),
 * create a template database and migrate it once. Every suite then clones the template
 * (CREATE DATABASE … TEMPLATE), so suites never share rows and never wait for migrations; the
 * clones share the roles migrating the template created (fg_fg_tmpl_<run>_…, named after it), which
 * global teardown drops with every other role the run created.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createOwnerDataSource } from '../../dist/src/database/data-source.js';
import { readDeploymentRoles } from '../../dist/src/database/roles.js';
import { startEmbeddedPostgres } from '../../dist/src/database/embedded-postgres.js';

function databaseUrl(serverUrl, database) {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
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

export default async function globalSetup() {
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'fraudguard-test-'));
    chmodSync(parent, 0o755); // the server runs as the `postgres` system user when we are root
    const dir = path.join(parent, 'pg');
    const cluster = await startEmbeddedPostgres({ dir, port: await freePort(), persistent: false, database: 'postgres' });
    globalThis.__fraudguardCluster = cluster;
    serverUrl = cluster.ownerUrl;
    process.env.FG_TEST_EMBEDDED = '1';
  }
  const template = `fg_tmpl_${run}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();

  const owner = createOwnerDataSource(databaseUrl(serverUrl, template));
  await owner.initialize();
  await owner.runMigrations({ transaction: 'each' });
  const roles = await readDeploymentRoles(owner);
  await owner.destroy();

  process.env.FG_TEST_SERVER_URL = serverUrl;
  process.env.FG_TEST_TEMPLATE = template;
  process.env.FG_TEST_RUN = run;
  process.env.FG_TEST_ROLES = JSON.stringify(roles);
}
