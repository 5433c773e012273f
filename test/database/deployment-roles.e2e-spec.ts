import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { createOwnerDataSource } from '../../src/database/data-source.js';
import { LEGACY_ROLES, recordRolesSql, rolesForDatabase, type DeploymentRoles } from '../../src/database/roles.js';
import { startAppProcess, type AppProcess } from '../support/app-process.js';
import { seedTenant } from '../support/fixtures.js';
import { PrivateCluster, startPrivateCluster, systemPostgresBin } from '../support/private-cluster.js';
import { databaseUrl, withClient } from '../support/test-database.js';

const BIN = systemPostgresBin();
const describeWithServer = BIN ? describe : describe.skip;
if (!BIN) console.warn('no PostgreSQL server binaries under /usr/lib/postgresql: the shared-server deployment test is skipped');

interface Deployment {
  database: string;
  ownerUrl: string;
  password: string;
  app: AppProcess;
  roles: DeploymentRoles;
  apiKey: string;
}

function roleUrl(ownerUrl: string, role: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

/** `/health/ready` once it stops answering 503, or its last answer after 20 s. */
async function readiness(baseUrl: string): Promise<{ status: number; body: any }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${baseUrl}/health/ready`);
    const answer = { status: res.status, body: await res.json() };
    if (answer.status !== 503 || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Closes every session the deployment's app role has open, so its pool must log in afresh. */
async function dropAppSessions(d: Deployment): Promise<void> {
  await withClient(d.ownerUrl, async (c) => {
    const { rows } = await c.query(`SELECT pid FROM pg_stat_activity WHERE usename = $1`, [d.roles.app]);
    const pids = rows.map((row) => row.pid);
    await c.query(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [pids]);
    // pg_terminate_backend only signals: wait until those sessions are gone (new ones may open meanwhile).
    for (;;) {
      const left = await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])`, [pids]);
      if (left.rows[0].n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
}

function me(d: Deployment): Promise<Response> {
  return fetch(`${d.app.baseUrl}/api/v1/tenants/me`, { headers: { 'X-API-Key': d.apiKey } });
}

function cli(ownerUrl: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('dist/src/admin/cli.js'), ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: ownerUrl, LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Two deployments of FraudGuard on one PostgreSQL server that checks passwords (a private cluster:
 * scram-sha-256 on TCP, as in production), each started by `node dist/src/main.js` migrating its own
 * database. Each gets roles of its own, recorded in its database; starting the second touches
 * nothing of the first's; neither app role can enter the other's database or read its sessions'
 * statements; and a login the server refuses answers 503, never 500.
 */
describeWithServer('deployments sharing one PostgreSQL server', () => {
  let cluster: PrivateCluster;
  const deployments: Deployment[] = [];
  let a: Deployment;
  let b: Deployment;

  async function deploy(database: string, password: string): Promise<Deployment> {
    await withClient(cluster.url, (c) => c.query(`CREATE DATABASE ${database}`));
    const ownerUrl = databaseUrl(cluster.url, database);
    const app = await startAppProcess(ownerUrl, { MIGRATIONS_RUN: 'true', APP_DB_PASSWORD: password, LOG_LEVEL: 'warn' });
    const roles = await withClient(ownerUrl, async (c) => (await c.query(`SELECT owner_role, app_role, platform_role FROM fg_deployment_roles()`)).rows[0]);
    const deployment: Deployment = {
      database,
      ownerUrl,
      password,
      app,
      roles: { owner: roles.owner_role, app: roles.app_role, platform: roles.platform_role },
      apiKey: (await seedTenant(ownerUrl)).apiKey,
    };
    deployments.push(deployment);
    return deployment;
  }

  async function passwordOf(role: string): Promise<string> {
    return withClient(cluster.url, async (c) => (await c.query(`SELECT rolpassword FROM pg_authid WHERE rolname = $1`, [role])).rows[0].rolpassword);
  }

  beforeAll(async () => {
    cluster = await startPrivateCluster(BIN!, { superuserPassword: 'superuser-secret' });
    a = await deploy('shop_a', 'password-a');
  }, 120_000);

  afterAll(async () => {
    for (const d of deployments) {
      d.app.child.kill('SIGTERM');
      await d.app.exited;
    }
    await cluster?.destroy();
  });

  it('migrating and starting a second deployment leaves the first one’s roles alone, and the first keeps serving', async () => {
    expect((await me(a)).status).toBe(200);
    const passwordA = await passwordOf(a.roles.app);

    b = await deploy('shop_b', 'password-b');

    // Roles named after each database at its creation, recorded in it, and none shared.
    expect(a.roles).toEqual(rolesForDatabase('shop_a'));
    expect(b.roles).toEqual({ owner: 'fg_shop_b_owner', app: 'fg_shop_b_app', platform: 'fg_shop_b_platform' });
    expect(await passwordOf(a.roles.app)).toBe(passwordA);

    // A's pool logs in again (as after any connection loss), with A's password: still accepted.
    await dropAppSessions(a);
    expect(await readiness(a.app.baseUrl)).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect((await me(a)).status).toBe(200);
    expect((await me(b)).status).toBe(200);

    // What each server runs as is the role its database records; the tables belong to its owner role.
    for (const d of [a, b]) {
      await withClient(d.ownerUrl, async (c) => {
        const sessions = await c.query(`SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND application_name = 'fraudguard-api'`, [d.database]);
        expect(sessions.rows).toEqual([{ usename: d.roles.app }]);
        const owners = await c.query(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`);
        expect(owners.rows).toEqual([{ tableowner: d.roles.owner }]);
      });
    }
  }, 180_000);

  it("lets each app role CONNECT to its own database only", async () => {
    await withClient(roleUrl(a.ownerUrl, a.roles.app, a.password), async (c) => {
      expect((await c.query('SELECT current_user AS role')).rows).toEqual([{ role: a.roles.app }]);
    });
    for (const [from, to] of [[a, b], [b, a]]) {
      const intruder = new pg.Client({ connectionString: roleUrl(to.ownerUrl, from.roles.app, from.password) });
      const refused = await intruder.connect().then(
        () => undefined,
        (error) => error,
      );
      await intruder.end().catch(() => undefined);
      expect(refused).toMatchObject({ code: '42501', message: expect.stringContaining(`permission denied for database "${to.database}"`) });
    }
  });

  it("keeps another deployment's statements out of the app role's sight in pg_stat_activity", async () => {
    const marker = `SELECT 'statement of deployment b' AS marker`;
    await withClient(roleUrl(b.ownerUrl, b.roles.app, b.password), async (bSession) => {
      await bSession.query(marker);
      await withClient(roleUrl(a.ownerUrl, a.roles.app, a.password), async (aSession) => {
        await withClient(roleUrl(a.ownerUrl, a.roles.app, a.password), async (aOther) => {
          await aOther.query(`SELECT 'statement of deployment a' AS marker`);
          const seen = await aSession.query(`SELECT usename, query FROM pg_stat_activity WHERE usename IN ($1, $2) AND pid <> pg_backend_pid()`, [a.roles.app, b.roles.app]);
          const of = (role: string) => seen.rows.filter((row) => row.usename === role).map((row) => row.query);
          expect(of(b.roles.app).length).toBeGreaterThan(0);
          expect(new Set(of(b.roles.app))).toEqual(new Set(['<insufficient privilege>']));
          // Its own role's sessions it does see: the view is not simply empty.
          expect(of(a.roles.app)).toContain(`SELECT 'statement of deployment a' AS marker`);
        });
      });
    });
  });

  it('answers 503, not 500, while the server refuses the app role’s login, and recovers when an operator sets the password', async () => {
    // The role's password changes behind the running server's back.
    await withClient(cluster.url, (c) => c.query(`ALTER ROLE ${a.roles.app} PASSWORD 'rotated-elsewhere'`));
    await dropAppSessions(a);

    const res = await me(a);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 503, request_id: expect.any(String) });
    const ready = await fetch(`${a.app.baseUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/password authentication failed/) });

    // The one command that changes an existing role's password: the operator gives back the server's.
    const run = await cli(a.ownerUrl, ['app-role:password', '--json'], { APP_DB_PASSWORD: a.password });
    expect(run).toMatchObject({ code: 0 });
    expect(JSON.parse(run.stdout)).toEqual({ role: a.roles.app, password: 'changed' });
    expect(await readiness(a.app.baseUrl)).toMatchObject({ status: 200 });
    expect((await me(a)).status).toBe(200);
    // B never noticed.
    expect((await me(b)).status).toBe(200);
  }, 120_000);

  it('upgrades a database migrated when roles were cluster-wide: it keeps fraudguard_app, its password and its other databases', async () => {
    // The state the earlier migration 3 left: the cluster-wide roles, no record, default database privileges.
    const ownerUrl = databaseUrl(cluster.url, 'shop_legacy');
    await withClient(cluster.url, async (c) => {
      await c.query(`CREATE DATABASE shop_legacy`);
      await c.query(`CREATE DATABASE shop_legacy_sibling`);
      await c.query(`CREATE ROLE fraudguard_owner NOLOGIN BYPASSRLS`);
      await c.query(`CREATE ROLE fraudguard_app LOGIN PASSWORD 'legacy-password'`);
    });
    await withClient(ownerUrl, (c) => c.query(recordRolesSql(LEGACY_ROLES)));
    const owner = createOwnerDataSource(ownerUrl);
    await owner.initialize();
    await owner.runMigrations({ transaction: 'each' });
    await owner.query(`DROP FUNCTION fg_deployment_roles(); GRANT CONNECT ON DATABASE shop_legacy TO PUBLIC; DELETE FROM migrations WHERE name = 'DeploymentRoles1700000000090'`);
    await owner.destroy();
    const passwordBefore = await passwordOf('fraudguard_app');

    const app = await startAppProcess(ownerUrl, { MIGRATIONS_RUN: 'true', APP_DB_PASSWORD: 'some-other-password', LOG_LEVEL: 'warn' }).catch((error) => error);
    expect(app).toBeInstanceOf(Error); // the role's password is kept, so a different one cannot log in
    expect(app.message).toMatch(/password .*"fraudguard_app"|"fraudguard_app".*password/);
    expect(await passwordOf('fraudguard_app')).toBe(passwordBefore);

    const legacy: Deployment = {
      database: 'shop_legacy',
      ownerUrl,
      password: 'legacy-password',
      app: await startAppProcess(ownerUrl, { MIGRATIONS_RUN: 'true', APP_DB_PASSWORD: 'legacy-password', LOG_LEVEL: 'warn' }),
      roles: LEGACY_ROLES,
      apiKey: (await seedTenant(ownerUrl)).apiKey,
    };
    deployments.push(legacy);
    expect((await me(legacy)).status).toBe(200);
    await withClient(ownerUrl, async (c) => {
      expect((await c.query(`SELECT owner_role, app_role, platform_role FROM fg_deployment_roles()`)).rows).toEqual([
        { owner_role: 'fraudguard_owner', app_role: 'fraudguard_app', platform_role: 'fraudguard_platform' },
      ]);
      const sessions = await c.query(`SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'shop_legacy' AND application_name = 'fraudguard-api'`);
      expect(sessions.rows).toEqual([{ usename: 'fraudguard_app' }]);
    });
    // Only its own database's privileges changed: the sibling still admits everyone, as before.
    const intruder = (database: string) => withClient(roleUrl(databaseUrl(cluster.url, database), b.roles.app, b.password), () => Promise.resolve('connected')).catch((error) => error.code);
    expect(await intruder('shop_legacy')).toBe('42501');
    expect(await intruder('shop_legacy_sibling')).toBe('connected');
  }, 180_000);
});
