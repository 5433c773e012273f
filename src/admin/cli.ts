/**
 * `npm run cli -- <command> [options]`: the operators' tooling for scripts and terminals.
 * Runs as the owner (DATABASE_URL, else the embedded cluster of `npm start`); tenant work goes
 * through PlatformDatabase like the admin API, and every change is audited into the tenant's trail.
 *
 * Output: JSON on stdout (one document per command), messages on stderr.
 * Exit codes: 0 success · 1 failure (database, unknown tenant, broken audit chain) · 2 usage error.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs, ParseArgsConfig } from 'node:util';
import type { AuditOrigin } from '../audit/audit.entry.js';
import { generateApiKey } from '../api-keys/api-key.token.js';
import { ROLES, SCOPES } from '../common/auth-context.js';
import { ProblemException } from '../common/problem.js';
import { loadConfig } from '../config/fraudguard.config.js';
import { ConfigError } from '../config/validate-config.js';
import { PLAN_NAMES, PLANS } from '../tenants/plans.js';
import type { Plan } from '../tenants/plans.js';
import { AdminTenantService, TENANT_STATUSES } from './admin-tenant.service.js';
import { PlatformDatabase } from './platform-database.js';
import { PlatformTenantRepository, UnknownTenantIdError } from './platform-tenant.repository.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

class UsageError extends Error {}
class CommandFailed extends Error {}

type Options = ParseArgsConfig['options'];
interface Context {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  ownerUrl: () => Promise<string>;
}
interface Command {
  summary: string;
  usage: string;
  options: Options;
  run(context: Context): Promise<unknown>;
}

const RESERVED_SUBDOMAINS = new Set(['www', 'api', 'admin']);
const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,}$/;
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

function origin(): AuditOrigin {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return { userId: null, ipAddress: null, userAgent: 'fraudguard-cli', requestId: `cli-${randomUUID()}`, actor: { operator: 'cli', os_user: user } };
}

function required(context: Context, name: string): string {
  const value = context.values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function tenantArgument(context: Context): string {
  const tenantId = context.positionals[0] ?? (context.values.tenant as string | undefined);
  if (!tenantId) throw new UsageError('a tenant id is required');
  if (!TENANT_ID.test(tenantId)) throw new UsageError(`"${tenantId}" is not a tenant id`);
  return tenantId;
}

function noPositionals(context: Context): void {
  if (context.positionals.length) throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
}

async function withPlatform<T>(context: Context, work: (repository: PlatformTenantRepository) => Promise<T>): Promise<T> {
  const db = new PlatformDatabase(await context.ownerUrl(), 'fraudguard-cli');
  try {
    return await work(new PlatformTenantRepository(db));
  } finally {
    await db.end();
  }
}

function setStatus(status: 'SUSPENDED' | 'ACTIVE'): Command['run'] {
  return async (context) => {
    const tenantId = tenantArgument(context);
    if (context.positionals.length > 1) throw new UsageError(`unexpected argument "${context.positionals[1]}"`);
    return withPlatform(context, (repository) =>
      new AdminTenantService(repository).update(tenantId, { status, reason: context.values.reason as string | undefined }, origin()),
    );
  };
}

const COMMANDS: Record<string, Command> = {
  migrate: {
    summary: 'Apply pending database migrations (as the owner)',
    usage: 'migrate',
    options: {},
    async run(context) {
      noPositionals(context);
      const { createOwnerDataSource } = await import('../database/data-source.js');
      const owner = createOwnerDataSource(await context.ownerUrl());
      await owner.initialize();
      try {
        const applied = await owner.runMigrations({ transaction: 'each' });
        return { applied: applied.map((migration) => migration.name) };
      } finally {
        await owner.destroy();
      }
    },
  },
  'tenant:create': {
    summary: 'Create a tenant (audited as tenant.created)',
    usage: 'tenant:create --name <organization> --subdomain <sub> --admin-email <email> [--plan STARTER|PROFESSIONAL|ENTERPRISE] [--trial-days <n>] [--id <tenant_id>]',
    options: {
      name: { type: 'string' },
      subdomain: { type: 'string' },
      'admin-email': { type: 'string' },
      plan: { type: 'string', default: 'STARTER' },
      'trial-days': { type: 'string' },
      id: { type: 'string' },
    },
    async run(context) {
      noPositionals(context);
      const name = required(context, 'name');
      const subdomain = required(context, 'subdomain').toLowerCase();
      const adminEmail = required(context, 'admin-email');
      const plan = String(context.values.plan) as Plan;
      const tenantId = (context.values.id as string | undefined) ?? randomUUID();
      if (name.length > 255) throw new UsageError('--name is longer than 255 characters');
      if (!SUBDOMAIN.test(subdomain) || RESERVED_SUBDOMAINS.has(subdomain)) throw new UsageError(`--subdomain "${subdomain}" is not a valid, unreserved subdomain`);
      if (!EMAIL.test(adminEmail)) throw new UsageError(`--admin-email "${adminEmail}" is not an e-mail address`);
      if (!PLAN_NAMES.includes(plan)) throw new UsageError(`--plan must be one of ${PLAN_NAMES.join(', ')}`);
      if (!TENANT_ID.test(tenantId)) throw new UsageError('--id must match [A-Za-z0-9_-]{1,64}');
      let trialEndsAt: Date | null = null;
      if (context.values['trial-days'] !== undefined) {
        const days = Number(context.values['trial-days']);
        if (!Number.isInteger(days) || days < 1 || days > 365) throw new UsageError('--trial-days must be an integer from 1 to 365');
        trialEndsAt = new Date(Date.now() + days * 86_400_000);
      }
      const limits = PLANS[plan];
      return withPlatform(context, (repository) =>
        repository.createTenant(
          {
            tenant_id: tenantId,
            organization_name: name,
            subdomain,
            admin_email: adminEmail,
            plan,
            status: trialEndsAt ? 'TRIAL' : 'ACTIVE',
            trial_ends_at: trialEndsAt,
            max_users: limits.max_users,
            max_transactions_per_month: limits.max_transactions_per_month,
            max_storage_gb: limits.max_storage_gb,
          },
          origin(),
        ),
      );
    },
  },
  'tenant:list': {
    summary: 'List tenants with usage (JSON array)',
    usage: 'tenant:list [--status ACTIVE|SUSPENDED|TRIAL|CANCELLED]',
    options: { status: { type: 'string' } },
    async run(context) {
      noPositionals(context);
      const status = context.values.status as (typeof TENANT_STATUSES)[number] | undefined;
      if (status !== undefined && !TENANT_STATUSES.includes(status)) throw new UsageError(`--status must be one of ${TENANT_STATUSES.join(', ')}`);
      return withPlatform(context, async (repository) => {
        const service = new AdminTenantService(repository);
        const all = [];
        let cursor: string | undefined;
        do {
          const page = await service.list({ limit: 100, starting_after: cursor, status });
          all.push(...page.data);
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        return all;
      });
    },
  },
  'tenant:suspend': {
    summary: 'Suspend a tenant: every credential of it is refused (audited)',
    usage: 'tenant:suspend <tenant_id> [--reason <text>]',
    options: { reason: { type: 'string' } },
    run: setStatus('SUSPENDED'),
  },
  'tenant:activate': {
    summary: 'Reactivate a suspended or cancelled tenant (audited)',
    usage: 'tenant:activate <tenant_id> [--reason <text>]',
    options: { reason: { type: 'string' } },
    run: setStatus('ACTIVE'),
  },
  'user:create': {
    summary: 'Create a tenant user; prints a generated password once unless --password-stdin',
    usage: 'user:create --tenant <tenant_id> --email <email> [--role ADMIN|MANAGER|ANALYST|VIEWER] [--name <full name>] [--password-stdin]',
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string', default: 'ADMIN' },
      name: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
    },
    async run(context) {
      noPositionals(context);
      const tenantId = tenantArgument(context);
      const email = required(context, 'email');
      const role = String(context.values.role);
      if (!EMAIL.test(email)) throw new UsageError(`--email "${email}" is not an e-mail address`);
      if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      let password: string;
      let generated = false;
      if (context.values['password-stdin']) {
        password = (await readStdin()).replace(/\r?\n$/, '');
        if (password.length < 12) throw new UsageError('the password read from stdin must be at least 12 characters');
      } else {
        password = randomBytes(18).toString('base64url');
        generated = true;
      }
      const { default: argon2 } = await import('argon2');
      // OWASP argon2id: 19 MiB, t=2, p=1 (DESIGN.md).
      const passwordHash = await argon2.hash(password, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
      const user = await withPlatform(context, (repository) =>
        repository.createUser(tenantId, { email, password_hash: passwordHash, full_name: (context.values.name as string | undefined) ?? null, role }, origin()),
      );
      return generated ? { ...user, password, password_note: 'shown once; not stored in clear anywhere' } : user;
    },
  },
  'apikey:create': {
    summary: 'Issue an API key for a tenant; the key is printed once',
    usage: `apikey:create --tenant <tenant_id> [--name <key name>] [--scopes <comma-separated: ${SCOPES.join(',')}>]`,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string', default: 'cli' },
      scopes: { type: 'string', default: 'read:transactions,write:transactions,read:alerts' },
    },
    async run(context) {
      noPositionals(context);
      const tenantId = tenantArgument(context);
      const scopes = String(context.values.scopes).split(',').map((scope) => scope.trim()).filter(Boolean);
      const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
      if (unknown.length || scopes.length === 0) throw new UsageError(`--scopes: unknown scope ${unknown.join(', ') || '(none given)'}`);
      const name = String(context.values.name);
      if (name.length > 128) throw new UsageError('--name is longer than 128 characters');
      const issued = generateApiKey();
      const key = await withPlatform(context, (repository) =>
        repository.createApiKey(tenantId, { key_name: name, key_hash: issued.hash, key_prefix: issued.prefix, scopes }, origin()),
      );
      return { ...key, api_key: issued.key, api_key_note: 'shown once; only its hash is stored' };
    },
  },
  'audit:verify': {
    summary: "Check tenants' audit hash chains; exits 1 when one is broken",
    usage: 'audit:verify (<tenant_id> | --all)',
    options: { all: { type: 'boolean', default: false } },
    async run(context) {
      const all = context.values.all === true;
      if (all && context.positionals.length) throw new UsageError('give a tenant id or --all, not both');
      if (!all && context.positionals.length !== 1) throw new UsageError('give one tenant id, or --all');
      const results = await withPlatform(context, async (repository) => {
        const service = new AdminTenantService(repository);
        const ids = all ? (await collectIds(service)) : [tenantArgument(context)];
        if (!all) await service.get(ids[0]);
        const out = [];
        for (const tenantId of ids) {
          const { checked, first_broken_id } = await repository.verifyAudit(tenantId);
          out.push({ tenant_id: tenantId, valid: first_broken_id === null, checked, first_broken_id });
        }
        return out;
      });
      const broken = results.filter((result) => !result.valid);
      const report = all ? results : results[0];
      if (broken.length) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        throw new CommandFailed(`audit chain broken for ${broken.map((result) => `${result.tenant_id} (first broken row ${result.first_broken_id})`).join(', ')}`);
      }
      return report;
    },
  },
};

async function collectIds(service: AdminTenantService): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await service.list({ limit: 100, starting_after: cursor });
    ids.push(...page.data.map((tenant) => tenant.tenant_id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return ids;
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => (text += chunk));
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', reject);
  });
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: npm run cli -- <command> [options]   (each command takes --help)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Database: DATABASE_URL (owner), else the embedded PostgreSQL of `npm start`.',
    'Output: JSON on stdout. Exit codes: 0 ok, 1 failure, 2 usage error.',
  ].join('\n');
}

function commandHelp(name: string, command: Command): string {
  return `Usage: npm run cli -- ${command.usage}\n\n${command.summary}.\nExit codes: 0 ok, 1 failure, 2 usage error.`;
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? EXIT_OK : EXIT_USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${help()}\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(name, command) + '\n');
    return EXIT_OK;
  }
  let ownerUrl: string | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  try {
    const parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    const config = loadConfig().database;
    const context: Context = {
      values: parsed.values as Context['values'],
      positionals: parsed.positionals,
      ownerUrl: async () => {
        if (ownerUrl) return ownerUrl;
        if (config.databaseUrl) return (ownerUrl = config.databaseUrl);
        const { startEmbeddedPostgres } = await import('../database/embedded-postgres.js');
        const cluster = await startEmbeddedPostgres({ dir: config.embeddedPgDir, port: config.embeddedPgPort, persistent: true });
        stopEmbedded = cluster.stop;
        return (ownerUrl = cluster.ownerUrl);
      },
    };
    const result = await command.run(context);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return EXIT_OK;
  } catch (error: any) {
    if (error instanceof UsageError || error?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`${name}: ${error.message}\n\n${commandHelp(name, command)}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_USAGE;
    }
    const message =
      error instanceof CommandFailed || error instanceof UnknownTenantIdError || error instanceof ProblemException
        ? error.message
        : error?.code === '23505'
          ? `already exists: ${error.detail ?? error.message}`
          : error?.message ?? String(error);
    process.stderr.write(`${name} failed: ${message}\n`);
    return EXIT_FAILURE;
  } finally {
    await stopEmbedded?.().catch(() => undefined);
  }
}

// process.exit, not process.exitCode: embedded-postgres installs exit hooks that would exit 0.
// stdout/stderr are synchronous for files and pipes on Linux, so nothing written is lost.
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`fatal: ${error?.stack ?? error}\n`);
    process.exit(EXIT_FAILURE);
  },
);
