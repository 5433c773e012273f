import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { appRoleUrl } from '../../src/config/database.config.js';
import { DEV_APP_DB_PASSWORD } from '../../src/database/roles.js';

export const APP_DB_PASSWORD = DEV_APP_DB_PASSWORD;

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabase {
  name: string;
  /** Superuser / owner: for arranging fixtures and inspecting the catalog. */
  ownerUrl: string;
  /** fraudguard_app: NOSUPERUSER NOBYPASSRLS, what the API runs as. */
  appUrl: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.FG_TEST_SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database for one suite, cloned from the migrated template. */
export async function createTestDatabase(options: { template?: string } = {}): Promise<TestDatabase> {
  const server = process.env.FG_TEST_SERVER_URL;
  if (!server) throw new Error('FG_TEST_SERVER_URL is not set: run the tests through jest (global setup)');
  const name = `fg_t_${process.env.FG_TEST_RUN}_${randomBytes(4).toString('hex')}`;
  const template = options.template === undefined ? process.env.FG_TEST_TEMPLATE! : options.template;
  await admin((client) => client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  const ownerUrl = databaseUrl(server, name);
  return {
    name,
    ownerUrl,
    appUrl: appRoleUrl(ownerUrl, APP_DB_PASSWORD),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Opens a client, runs `work`, always closes it. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
