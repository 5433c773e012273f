import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { appRoleUrl } from '../../src/config/database.config.js';
import { DEV_APP_DB_PASSWORD, quoteIdent, restrictConnectSql, rolesForDatabase, type DeploymentRoles } from '../../src/database/roles.js';

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
  /** The app role (NOSUPERUSER NOBYPASSRLS), what the API runs as. */
  appUrl: string;
  /** The roles the database uses: the template's for a clone (recorded in it), its own once an empty database is migrated. */
  roles: DeploymentRoles;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>, url = process.env.FG_TEST_SERVER_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The roles the test run's template records (global setup reads them after migrating it). */
export function templateRoles(): DeploymentRoles {
  if (!process.env.FG_TEST_ROLES) throw new Error('FG_TEST_ROLES is not set: run the tests through jest (global setup)');
  return JSON.parse(process.env.FG_TEST_ROLES) as DeploymentRoles;
}

/** Drops `roles` if they exist: those an empty database created when it was migrated, once it is gone. */
export async function dropRoles(serverUrl: string, roles: DeploymentRoles): Promise<void> {
  await admin(async (client) => {
    for (const role of [roles.platform, roles.app, roles.owner]) await client.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
  }, serverUrl);
}

/**
 * A fresh database for one suite, cloned from the migrated template (sharing its roles, and, as
 * start-up does for a clone, with CONNECT for the app role only) — or empty (`template: ''`), in
 * which case migrating it creates its own roles, and drop() drops them.
 */
export async function createTestDatabase(options: { template?: string } = {}): Promise<TestDatabase> {
  const server = process.env.FG_TEST_SERVER_URL;
  if (!server) throw new Error('FG_TEST_SERVER_URL is not set: run the tests through jest (global setup)');
  const name = `fg_t_${process.env.FG_TEST_RUN}_${randomBytes(4).toString('hex')}`;
  const template = options.template === undefined ? process.env.FG_TEST_TEMPLATE! : options.template;
  await admin((client) => client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  const ownerUrl = databaseUrl(server, name);
  const roles = template ? templateRoles() : rolesForDatabase(name);
  if (template) await admin((client) => client.query(restrictConnectSql(roles)), ownerUrl);
  return {
    name,
    ownerUrl,
    appUrl: appRoleUrl(ownerUrl, roles.app, APP_DB_PASSWORD),
    roles,
    drop: async () => {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      if (!template) await dropRoles(server, roles);
    },
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
