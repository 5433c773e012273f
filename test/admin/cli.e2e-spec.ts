import path from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';
import { waitForSealed } from '../support/audit-seal.js';
import { runCli, type CliRun } from '../support/cli-process.js';

/** The CLI as operators run it (test/support/cli-process.ts), with a fixed CURSOR_SECRET. */
function cli(ownerUrl: string, args: string[], stdin?: string, env: Record<string, string> = {}, options: { human?: boolean; node?: string[] } = {}): Promise<CliRun> {
  return runCli(ownerUrl, args, { stdin, env: { CURSOR_SECRET: 'cli-test', ...env }, ...options });
}

describe('operators CLI (child processes against a real database)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let tenantId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('prints help, and exits 2 on usage errors', async () => {
    const help = await cli(db.ownerUrl, ['--help']);
    expect(help.code).toBe(0);
    const names = ['migrate', 'tenant:create', 'tenant:list', 'tenant:suspend', 'tenant:activate', 'user:create', 'apikey:create', 'audit:verify', 'audit:seal'];
    const helps = await Promise.all(names.map((name) => cli(db.ownerUrl, [name, '--help'])));
    names.forEach((name, index) => {
      expect(help.stdout).toContain(name);
      expect({ name, code: helps[index].code }).toEqual({ name, code: 0 });
      expect(helps[index].stdout).toMatch(new RegExp(`^Usage: npm run cli -- ${name}`));
    });
    expect((await cli(db.ownerUrl, [])).code).toBe(2);
    expect((await cli(db.ownerUrl, ['tenant:explode'])).code).toBe(2);
    const unknownOption = await cli(db.ownerUrl, ['tenant:list', '--colour']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/Usage:/);
    expect((await cli(db.ownerUrl, ['tenant:create', '--name', 'X'])).code).toBe(2);
    expect((await cli(db.ownerUrl, ['tenant:create', '--name', 'X', '--subdomain', 'admin', '--admin-email', 'a@b.example'])).code).toBe(2);
    expect((await cli(db.ownerUrl, ['apikey:create', '--tenant', 'x', '--scopes', 'root'])).code).toBe(2);
    expect((await cli(db.ownerUrl, ['audit:verify'])).code).toBe(2);
    expect((await cli(db.ownerUrl, ['migrate', '--tenant-plan', 'GOLD'])).code).toBe(2);
    expect((await cli(db.ownerUrl, ['audit:seal', '--batch', '0'])).code).toBe(2);
  }, 180_000);

  it('--help loads none of the application (no Nest, no class-validator, no database driver)', async () => {
    const traced = await cli(db.ownerUrl, ['--help'], undefined, {}, { human: true, node: ['--import', path.resolve('test/support/trace-imports.mjs')] });
    expect(traced.code).toBe(0);
    const loaded = traced.stderr.split('\n').filter((line) => line.startsWith('import: '));
    expect(loaded.some((line) => line.endsWith('/dist/src/admin/cli.js'))).toBe(true);
    expect(loaded.filter((line) => /node_modules\/(@nestjs|class-validator|class-transformer|typeorm|pg|pino)\//.test(line))).toEqual([]);
    expect(loaded.filter((line) => /cli-runtime|admin-tenant\.dto|operator-commands/.test(line))).toEqual([]);
  });

  it('prints tables and field lines for people, JSON with --json', async () => {
    const created = await cli(db.ownerUrl, ['tenant:create', '--name', 'Table Corp', '--subdomain', 'table-corp', '--admin-email', 'ops@table.example'], undefined, {}, { human: true });
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^tenant_id +\S+\norganization_name +Table Corp\n/);
    expect(created.stdout).toMatch(/^usage +\{"active_users":0,/m);
    const list = await cli(db.ownerUrl, ['tenant:list'], undefined, {}, { human: true });
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0].split(/ {2,}/)).toEqual(['TENANT_ID', 'ORGANIZATION_NAME', 'SUBDOMAIN', 'PLAN', 'STATUS', 'ACTIVE_USERS', 'ACTIVE_API_KEYS', 'TRANSACTIONS_THIS_MONTH', 'OPEN_ALERTS', 'CREATED_AT']);
    expect(lines.find((line) => line.includes('table-corp'))).toMatch(/^\S+ +Table Corp +table-corp +STARTER +ACTIVE +0 +0 +0 +0 +\d{4}-/);
    expect(lines[lines.length - 1]).toMatch(/^\d+ rows \(every field: --json\)$/);
    const json = await cli(db.ownerUrl, ['tenant:list']);
    expect(json.json.find((tenant: any) => tenant.subdomain === 'table-corp')).toMatchObject({ organization_name: 'Table Corp', usage: { active_users: 0 } });
  });

  it('failures point to the next command: migrate first, tenant:list for an unknown tenant, the setting for a refused connection', async () => {
    const empty = await createTestDatabase({ template: '' });
    try {
      const early = await cli(empty.ownerUrl, ['tenant:list'], undefined, {}, { human: true });
      expect({ code: early.code, stdout: early.stdout }).toEqual({ code: 1, stdout: '' });
      expect(early.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^tenant:list failed: the database is not migrated: run `npm run cli -- migrate`/)]);
    } finally {
      await empty.drop();
    }
    const unknown = await cli(db.ownerUrl, ['apikey:create', '--tenant', 'no-such-tenant'], undefined, {}, { human: true });
    expect({ code: unknown.code, stderr: unknown.stderr }).toEqual({ code: 1, stderr: 'apikey:create failed: Tenant no-such-tenant not found: see `npm run cli -- tenant:list`\n' });
    const unreachable = await cli('postgres://postgres@127.0.0.1:1/none', ['tenant:list'], undefined, {}, { human: true });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe('tenant:list failed: cannot reach PostgreSQL at 127.0.0.1:1 (connection refused): check the host and port in DATABASE_URL and that the server is running\n');
  });

  it('migrate applies every migration to an empty database, then has nothing to do', async () => {
    const empty = await createTestDatabase({ template: '' });
    try {
      const plan = await cli(empty.ownerUrl, ['migrate', '--dry-run']);
      expect(plan.code).toBe(0);
      expect(plan.json).toMatchObject({ dry_run: true, database: 'empty', adoption: null, tables: [], converted_tenant: { tenant_id: 'default-tenant-001', plan: 'ENTERPRISE' } });
      expect(plan.json.pending.map((migration: { name: string }) => migration.name)).toEqual(expect.arrayContaining(['SingleTenantSchema1700000000000', 'RowLevelSecurity1700000000003']));
      const first = await cli(empty.ownerUrl, ['migrate']);
      expect(first.code).toBe(0);
      expect(first.json).toMatchObject({ database: 'empty', adopted: false, converted_tenant: { tenant_id: 'default-tenant-001', plan: 'ENTERPRISE' } });
      expect(first.json.applied).toEqual(plan.json.pending.map((migration: { name: string }) => migration.name));
      const again = await cli(empty.ownerUrl, ['migrate']);
      expect(again.json).toEqual({ database: 'migrated', adopted: false, applied: [], converted_tenant: null });
      expect((await cli(empty.ownerUrl, ['migrate', '--dry-run'])).json).toMatchObject({ database: 'migrated', pending: [], estimated_seconds: 0, longest_wait_seconds: 0 });
      // Nothing is left to convert, so no plan can be given to the converted tenant.
      const late = await cli(empty.ownerUrl, ['migrate', '--tenant-plan', 'PROFESSIONAL']);
      expect(late.code).toBe(1);
      expect(late.stderr).toMatch(/converted already .*Nothing was changed/);
    } finally {
      await empty.drop();
    }
    expect((await cli('postgres://nobody@127.0.0.1:1/none', ['migrate'])).code).toBe(1);
  }, 180_000);

  it('creates a tenant, a user and an API key that works against the API', async () => {
    const created = await cli(db.ownerUrl, ['tenant:create', '--name', 'Cli Corp', '--subdomain', 'cli-corp', '--admin-email', 'ops@cli.example', '--plan', 'PROFESSIONAL']);
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({ organization_name: 'Cli Corp', subdomain: 'cli-corp', plan: 'PROFESSIONAL', status: 'ACTIVE', max_users: 25 });
    tenantId = created.json.tenant_id;
    const duplicate = await cli(db.ownerUrl, ['tenant:create', '--name', 'Again', '--subdomain', 'cli-corp', '--admin-email', 'x@cli.example']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);

    const user = await cli(db.ownerUrl, ['user:create', '--tenant', tenantId, '--email', 'anna@cli.example', '--role', 'MANAGER']);
    expect(user.code).toBe(0);
    expect(user.json).toMatchObject({ tenant_id: tenantId, email: 'anna@cli.example', role: 'MANAGER', password: expect.any(String) });
    expect(user.stdout).not.toMatch(/argon2/);
    const piped = await cli(db.ownerUrl, ['user:create', '--tenant', tenantId, '--email', 'ben@cli.example', '--password-stdin'], 'Correct horse battery staple 9\n');
    expect(piped.code).toBe(0);
    expect(piped.json.password).toBeUndefined();
    const hashes = await withClient(db.ownerUrl, (c) => c.query(`SELECT password_hash FROM tenant_users WHERE tenant_id = $1`, [tenantId]).then((r) => r.rows));
    expect(hashes.every((row) => row.password_hash.startsWith('$argon2id$v=19$m=19456,p=1,t=2$'))).toBe(true);

    const key = await cli(db.ownerUrl, ['apikey:create', '--tenant', tenantId, '--name', 'ingest', '--scopes', 'read:transactions,read:audit']);
    expect(key.code).toBe(0);
    expect(key.json).toMatchObject({ key_name: 'ingest', scopes: ['read:transactions', 'read:audit'], api_key: expect.stringMatching(/^fgk_live_/) });
    const me = await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', key.json.api_key).expect(200);
    expect(me.body.tenant_id).toBe(tenantId);

    expect((await cli(db.ownerUrl, ['apikey:create', '--tenant', 'no-such-tenant'])).code).toBe(1);
    expect((await cli(db.ownerUrl, ['user:create', '--tenant', 'no-such-tenant', '--email', 'x@y.example'])).code).toBe(1);
  });

  it('refuses whatever the API refuses (exit 2, naming the option and the rule) and writes nothing', async () => {
    const counts = () =>
      withClient(db.ownerUrl, (c) =>
        c
          .query(
            `SELECT (SELECT count(*) FROM tenants)::int AS tenants, (SELECT count(*) FROM tenant_users)::int AS users,
                    (SELECT count(*) FROM tenant_api_keys)::int AS keys, (SELECT count(*) FROM audit_logs)::int AS audit`,
          )
          .then((r) => r.rows[0]),
      );
    const before = await counts();
    const tenant = (subdomain: string, email = 'ops@refused.example') =>
      cli(db.ownerUrl, ['tenant:create', '--name', 'Refused Corp', '--subdomain', subdomain, '--admin-email', email]);
    const user = (args: string[], stdin?: string) => cli(db.ownerUrl, ['user:create', '--tenant', tenantId, ...args], stdin);
    const refusals: Array<[Promise<CliRun>, RegExp]> = [
      // Reserved by the API (84 names), not only www, api and admin.
      [tenant('status'), /--subdomain: subdomain is reserved/],
      [tenant('docs'), /--subdomain: subdomain is reserved/],
      [tenant('bad-'), /--subdomain: subdomain must start and end with a letter or a digit/],
      [tenant('refused-corp', 'ops@refused..example'), /--admin-email: admin_email must be an email/],
      [user(['--email', 'anna@cli..example']), /--email: email must be an email/],
      [user(['--email', 'carl@cli.example', '--password-stdin'], 'Password123\n'), /password is too common/],
      [user(['--email', 'carl@cli.example', '--password-stdin'], 'long enough but all lower case\n'), /password must contain an upper-case letter/],
      [user(['--email', 'carl@cli.example', '--password-stdin'], 'Short1\n'), /password must be at least 8 characters long/],
      [user(['--email', 'carl@cli.example', '--role', 'OWNER']), /--role: role must be one of the following values: VIEWER, ANALYST, MANAGER, ADMIN/],
      [cli(db.ownerUrl, ['apikey:create', '--tenant', tenantId, '--scopes', 'read:transactions,admin:everything']), /--scopes: each value in scopes must be one of/],
    ];
    for (const [run, message] of refusals) {
      const refused = await run;
      expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 2, stdout: '' });
      expect(refused.stderr).toMatch(message);
      expect(refused.stderr).toMatch(/Usage: npm run cli -- /);
    }
    expect(await counts()).toEqual(before);
  });

  it('lists, suspends and reactivates, all audited into the tenant trail', async () => {
    const list = await cli(db.ownerUrl, ['tenant:list']);
    expect(list.code).toBe(0);
    expect(list.json.find((tenant: any) => tenant.tenant_id === tenantId).usage).toMatchObject({ active_users: 2, active_api_keys: 1 });

    const suspended = await cli(db.ownerUrl, ['tenant:suspend', tenantId, '--reason', 'unpaid']);
    expect(suspended.code).toBe(0);
    expect(suspended.json.status).toBe('SUSPENDED');
    expect((await cli(db.ownerUrl, ['tenant:list', '--status', 'SUSPENDED'])).json.map((tenant: any) => tenant.tenant_id)).toEqual([tenantId]);
    expect((await cli(db.ownerUrl, ['tenant:activate', tenantId])).json.status).toBe('ACTIVE');
    expect((await cli(db.ownerUrl, ['tenant:suspend', 'no-such-tenant'])).code).toBe(1);

    const rows = await withClient(db.ownerUrl, (c) =>
      c.query(`SELECT action, new_value FROM audit_logs WHERE tenant_id = $1 ORDER BY id`, [tenantId]).then((r) => r.rows),
    );
    expect(rows.map((row) => row.action)).toEqual(['tenant.created', 'user.created', 'user.created', 'api_key.created', 'tenant.suspended', 'tenant.reactivated']);
    for (const row of rows) expect(row.new_value.actor).toMatchObject({ operator: 'cli' });
    expect(JSON.stringify(rows)).not.toMatch(/argon2|fgk_live_[A-Za-z0-9_-]{20}/);
  });

  it('audit:verify exits 0 on an intact chain and 1 once a row is edited', async () => {
    // The test app's sealer links the rows the CLI wrote; verify checks sealed rows.
    await waitForSealed(db.ownerUrl);
    const ok = await cli(db.ownerUrl, ['audit:verify', tenantId]);
    expect(ok.code).toBe(0);
    expect(ok.json).toEqual({ tenant_id: tenantId, valid: true, checked: 6, first_broken_id: null });
    const all = await cli(db.ownerUrl, ['audit:verify', '--all']);
    expect(all.code).toBe(0);
    expect(all.json.every((result: any) => result.valid)).toBe(true);
    expect((await cli(db.ownerUrl, ['audit:verify', 'no-such-tenant'])).code).toBe(1);

    await withClient(db.ownerUrl, (c) =>
      c.query(`UPDATE audit_logs SET action = 'tenant.nothing' WHERE tenant_id = $1 AND action = 'tenant.suspended'`, [tenantId]),
    );
    const broken = await cli(db.ownerUrl, ['audit:verify', tenantId]);
    expect(broken.code).toBe(1);
    expect(broken.json).toMatchObject({ valid: false, checked: 6, first_broken_id: expect.any(String) });
    expect(broken.stderr).toMatch(/audit chain broken/);
    expect((await cli(db.ownerUrl, ['audit:verify', '--all'])).code).toBe(1);
  });

  it("hashes passwords with the API's hasher and its ARGON2_* parameters, and keeps the plan's user limit", async () => {
    const created = await cli(db.ownerUrl, ['user:create', '--tenant', tenantId, '--email', 'dora@cli.example', '--role', 'VIEWER'], undefined, {
      ARGON2_MEMORY_KIB: '20480',
      ARGON2_TIME_COST: '3',
    });
    expect(created.code).toBe(0);
    const hash = await withClient(db.ownerUrl, (c) =>
      c.query(`SELECT password_hash FROM tenant_users WHERE tenant_id = $1 AND id = $2`, [tenantId, created.json.id]).then((r) => r.rows[0].password_hash),
    );
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=20480,p=1,t=3\$/);

    const tiny = await cli(db.ownerUrl, ['tenant:create', '--name', 'Tiny Corp', '--subdomain', 'tiny-corp', '--admin-email', 'ops@tiny.example']);
    await withClient(db.ownerUrl, (c) => c.query(`UPDATE tenants SET max_users = 1 WHERE tenant_id = $1`, [tiny.json.tenant_id]));
    expect((await cli(db.ownerUrl, ['user:create', '--tenant', tiny.json.tenant_id, '--email', 'one@tiny.example'])).code).toBe(0);
    const second = await cli(db.ownerUrl, ['user:create', '--tenant', tiny.json.tenant_id, '--email', 'two@tiny.example']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/The plan allows 1 active users/);
  });

  it('audit:seal seals what is pending in one pass and says what is left; no CLI command seals in the background', async () => {
    const quiet = await createTestDatabase();
    try {
      const created = await cli(quiet.ownerUrl, ['tenant:create', '--name', 'Seal Corp', '--subdomain', 'seal-corp', '--admin-email', 'ops@seal.example']);
      expect(created.code).toBe(0);
      expect((await cli(quiet.ownerUrl, ['user:create', '--tenant', created.json.tenant_id, '--email', 'eve@seal.example'])).code).toBe(0);
      // No API runs on this database: the rows those commands wrote wait for a sealer.
      const pending = await withClient(quiet.ownerUrl, (c) => c.query(`SELECT count(*)::int AS n FROM audit_logs WHERE hash IS NULL`).then((r) => r.rows[0].n));
      expect(pending).toBe(2);
      const seal = await cli(quiet.ownerUrl, ['audit:seal']);
      expect(seal.code).toBe(0);
      expect(seal.json).toEqual({ sealed: 2, tenants: 1, pending: [] });
      expect((await cli(quiet.ownerUrl, ['audit:seal', '--batch', '1'])).json).toEqual({ sealed: 0, tenants: 0, pending: [] });
      expect((await cli(quiet.ownerUrl, ['audit:verify', created.json.tenant_id])).json).toEqual({ tenant_id: created.json.tenant_id, valid: true, checked: 2, first_broken_id: null });
    } finally {
      await quiet.drop();
    }
  });
});
