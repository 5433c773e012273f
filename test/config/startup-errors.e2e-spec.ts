import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { runAppToExit, type FinishedProcess } from '../support/app-process.js';
import { createTestDatabase, databaseUrl, TestDatabase, withClient } from '../support/test-database.js';

/** Exit 1 and exactly one line on stderr, no stack frame in it, matching `pattern`. */
function expectOneLine(run: FinishedProcess, pattern: RegExp): void {
  expect({ code: run.code, lines: run.stderr.trimEnd().split('\n') }).toEqual({ code: 1, lines: [expect.stringMatching(pattern)] });
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).toMatch(/^FraudGuard failed to start: /);
}

/** `url` with another user and password (the embedded test cluster checks passwords, a trust server does not). */
function withUser(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

describe('start-up refusals: one line naming the setting to fix (the real process)', () => {
  let migrated: TestDatabase;
  beforeAll(async () => {
    migrated = await createTestDatabase();
  });
  afterAll(() => migrated.drop());

  it('a bad configuration value names the variable', async () => {
    expectOneLine(await runAppToExit({ DATABASE_URL: migrated.ownerUrl, DB_POOL_SIZE: 'lots' }), /DB_POOL_SIZE must be an integer, got "lots"/);
  });

  it('an unreachable, unknown or missing database names DATABASE_URL', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const [refused, unknownHost, noDatabase, noRole] = await Promise.all([
      runAppToExit({ DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/fraudguard` }),
      runAppToExit({ DATABASE_URL: 'postgres://postgres@no-such-host.invalid:5432/fraudguard' }),
      runAppToExit({ DATABASE_URL: databaseUrl(migrated.ownerUrl, `no_such_db_${randomBytes(3).toString('hex')}`) }),
      runAppToExit({ DATABASE_URL: withUser(migrated.ownerUrl, 'no_such_role_x', 'any-password') }),
    ]);
    expectOneLine(refused, new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closed} \\(connection refused\\): check the host and port in DATABASE_URL`));
    expectOneLine(unknownHost, /cannot resolve the host "no-such-host\.invalid" of DATABASE_URL/);
    expectOneLine(noDatabase, /database "no_such_db_\w+" does not exist .*: create it \(createdb no_such_db_\w+\) or fix the database name in DATABASE_URL/);
    // A server that checks passwords answers an unknown user as a wrong password (it does not reveal which).
    expectOneLine(noRole, /PostgreSQL has no role "no_such_role_x": fix the user in DATABASE_URL|PostgreSQL refused the password of user "no_such_role_x": fix the password in DATABASE_URL/);
  });

  it('a DATABASE_URL user that cannot create roles is told what the migrations need, and nothing is migrated', async () => {
    const empty = await createTestDatabase({ template: '' });
    const role = `fg_plain_${randomBytes(4).toString('hex')}`;
    try {
      await withClient(empty.ownerUrl, (c) => c.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEROLE PASSWORD '${role}'; ALTER DATABASE ${empty.name} OWNER TO ${role}`));
      const run = await runAppToExit({ DATABASE_URL: withUser(empty.ownerUrl, role, role) });
      expectOneLine(run, new RegExp(`the user "${role}" of DATABASE_URL cannot run the migrations: .*needs a superuser.*npm run cli -- migrate`));
      const tables = await withClient(empty.ownerUrl, (c) => c.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`));
      expect(tables.rows[0].n).toBe(0);
    } finally {
      await empty.drop();
      await withClient(migrated.ownerUrl, (c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    }
  });

  it('an unmigrated database with MIGRATIONS_RUN=false says to migrate', async () => {
    const empty = await createTestDatabase({ template: '' });
    try {
      expectOneLine(await runAppToExit({ DATABASE_URL: empty.ownerUrl, MIGRATIONS_RUN: 'false' }), /the database is not migrated .*npm run cli -- migrate/);
    } finally {
      await empty.drop();
    }
  });

  it('a port in use names PORT', async () => {
    const server = net.createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    try {
      const run = await runAppToExit({ DATABASE_URL: migrated.ownerUrl, MIGRATIONS_RUN: 'false', PORT: String(port) });
      expectOneLine(run, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*set PORT to a free port`));
    } finally {
      server.close();
    }
  });
});
