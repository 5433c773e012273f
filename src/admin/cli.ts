/**
 * `npm run cli -- <command> [options]`: the operators' tooling for scripts and terminals.
 *
 * Arguments are parsed and validated first — with the API's own DTO classes, so the same rules
 * (reserved subdomains, e-mail, password policy, roles, scopes) — and only then is a Nest
 * application context built from the application's modules (CliModule), whose services do the
 * work: OperatorCommands. The database is DATABASE_URL (the owner), else the embedded cluster of
 * `npm start`; tenant work runs as the app role, derived from it as the server derives it.
 *
 * Output: for people a table or `field  value` lines on stdout, with --json the JSON document
 * (cli-output.ts); messages on stderr, naming the next command to run when there is one.
 * `--help` loads none of the application (cli-runtime.ts is imported once a command runs).
 * Exit codes: 0 success · 1 failure (database, unknown tenant, broken audit chain) · 2 usage error.
 */
import type { Type } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { INTEGRATOR_KEY_SCOPES } from '../api-keys/api-key.token.js';
import { type OperatorOrigin, SCOPES } from '../common/auth-context.js';
import type { FieldError } from '../common/problem.js';
import type { FraudGuardConfig } from '../config/fraudguard.config.js';
import { describeConnectionError, StartupError } from '../database/connection-errors.js';
import { render, TABLE_COLUMNS } from './cli-output.js';
import type * as Runtime from './cli-runtime.js';
import { DEFAULT_TENANT_ID } from '../tenants/default-tenant.js';
import { type Plan, PLAN_NAMES } from '../tenants/plans.js';
import type { OperatorCommands } from './operator-commands.js';

// The runtime's values under their own names, bound by loadRuntime() once a command runs; the
// types of its classes under the same names.
let pino: typeof Runtime.pino;
let passwordProblem: typeof Runtime.passwordProblem;
let ProblemException: typeof Runtime.ProblemException;
let ValidationProblem: typeof Runtime.ValidationProblem;
let createValidationPipe: typeof Runtime.createValidationPipe;
let appRoleUrl: typeof Runtime.appRoleUrl;
let loadConfig: typeof Runtime.loadConfig;
let ConfigError: typeof Runtime.ConfigError;
let createLogger: typeof Runtime.createLogger;
let PinoNestLogger: typeof Runtime.PinoNestLogger;
let CreateApiKeyDto: typeof Runtime.CreateApiKeyDto;
type CreateApiKeyDto = Runtime.CreateApiKeyDto;
let CreateUserDto: typeof Runtime.CreateUserDto;
type CreateUserDto = Runtime.CreateUserDto;
let AdminTenantListQuery: typeof Runtime.AdminTenantListQuery;
type AdminTenantListQuery = Runtime.AdminTenantListQuery;
let AdminTenantPatchDto: typeof Runtime.AdminTenantPatchDto;
let CreateTenantDto: typeof Runtime.CreateTenantDto;
type CreateTenantDto = Runtime.CreateTenantDto;
let TenantIdParam: typeof Runtime.TenantIdParam;
let pipe: ReturnType<typeof Runtime.createValidationPipe>;

async function loadRuntime(): Promise<void> {
  ({
    pino, passwordProblem, ProblemException, ValidationProblem, createValidationPipe, appRoleUrl, loadConfig, ConfigError, createLogger, PinoNestLogger,
    CreateApiKeyDto, CreateUserDto, AdminTenantListQuery, AdminTenantPatchDto, CreateTenantDto, TenantIdParam,
  } = await import('./cli-runtime.js'));
  pipe = createValidationPipe();
}

/** --json: the result as its JSON document instead of a table. */
let jsonOutput = false;

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

class UsageError extends Error {}
class CommandFailed extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
interface Args {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}
interface CommandBase<Input> {
  summary: string;
  usage: string;
  options: Options;
  /** Usage checks and DTO validation, before any connection: a refusal here writes nothing. */
  parse(args: Args): Promise<Input>;
}
/** Work on the application's services, in the CLI's application context. */
interface ServiceCommand<Input> extends CommandBase<Input> {
  run(commands: OperatorCommands, input: Input, operator: OperatorOrigin): Promise<unknown>;
}
/** Work without the application context: on the owner's connection (migrations: the app role may not exist yet), or the app role's. */
interface OwnerCommand<Input> extends CommandBase<Input> {
  runAsOwner(ownerUrl: string, input: Input, config: FraudGuardConfig): Promise<unknown>;
}
type Command = ServiceCommand<any> | OwnerCommand<any>;

/**
 * The API's validation of `plain` as `type` (whitelist, transforms, class-validator rules). A
 * refusal is a usage error naming the option each field came from.
 */
async function validated<T>(type: Type<T>, plain: Record<string, unknown>, optionOf: Record<string, string>): Promise<T> {
  const defined = Object.fromEntries(Object.entries(plain).filter(([, value]) => value !== undefined));
  try {
    return (await pipe.transform(defined, { type: 'body', metatype: type })) as T;
  } catch (error) {
    if (!(error instanceof ValidationProblem)) throw error;
    const errors = (error.extensions.errors as FieldError[]).map(({ field, message }) => `${optionOf[field] ?? field}: ${message}`);
    throw new UsageError(errors.join('; '));
  }
}

function operatorOrigin(): OperatorOrigin {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return { actor: { operator: 'cli', os_user: user }, userAgent: 'fraudguard-cli', requestId: `cli-${randomUUID()}` };
}

function required(args: Args, name: string): string {
  const value = args.values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

async function tenantArgument(args: Args): Promise<string> {
  const tenantId = args.positionals[0] ?? (args.values.tenant as string | undefined);
  if (!tenantId) throw new UsageError('a tenant id is required');
  return (await validated(TenantIdParam, { id: tenantId }, { id: 'tenant id' })).id;
}

function noPositionals(args: Args): void {
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
}

/** An integer option as a number for the DTO; anything else is left for the DTO to refuse. */
function integerOption(value: string | boolean | undefined): unknown {
  return typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value;
}

/** A password the API's policy accepts, for user:create without --password-stdin. */
function generatePassword(): string {
  for (;;) {
    const password = randomBytes(18).toString('base64url');
    if (passwordProblem(password) === undefined) return password;
  }
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

function setStatus(status: 'SUSPENDED' | 'ACTIVE'): Pick<ServiceCommand<{ tenantId: string; reason?: string }>, 'parse' | 'run'> {
  return {
    async parse(args) {
      const tenantId = await tenantArgument(args);
      if (args.positionals.length > 1) throw new UsageError(`unexpected argument "${args.positionals[1]}"`);
      const { reason } = await validated(AdminTenantPatchDto, { status, reason: args.values.reason }, { reason: '--reason' });
      return { tenantId, reason };
    },
    run: (commands, input, operator) => commands.setStatus(operator, input.tenantId, status, input.reason),
  };
}

const COMMANDS: Record<string, Command> = {
  migrate: {
    summary: 'Apply pending migrations (as the owner), adopting and converting a single-tenant database as start-up does',
    usage: `migrate [--dry-run] [--tenant-plan ${PLAN_NAMES.join('|')}]`,
    options: { 'dry-run': { type: 'boolean', default: false }, 'tenant-plan': { type: 'string' } },
    async parse(args) {
      noPositionals(args);
      const plan = args.values['tenant-plan'];
      if (plan !== undefined && !PLAN_NAMES.includes(plan as Plan)) throw new UsageError(`--tenant-plan: must be one of ${PLAN_NAMES.join(', ')}`);
      return { dryRun: args.values['dry-run'] === true, tenantPlan: plan as Plan | undefined };
    },
    async runAsOwner(ownerUrl, { dryRun, tenantPlan }) {
      const [{ createOwnerDataSource }, { migrateDatabase }, { planMigrations }] = await Promise.all([
        import('../database/data-source.js'),
        import('../database/legacy-adoption.js'),
        import('../database/migration-plan.js'),
      ]);
      const owner = createOwnerDataSource(ownerUrl);
      await owner.initialize();
      try {
        if (dryRun) return await planMigrations(owner, { tenantPlan });
        const run = await migrateDatabase(owner, { tenantPlan });
        return {
          database: run.inspection.state,
          adopted: run.inspection.state === 'legacy',
          applied: run.applied,
          converted_tenant: run.convertedTenantPlan ? { tenant_id: DEFAULT_TENANT_ID, plan: run.convertedTenantPlan } : null,
        };
      } finally {
        await owner.destroy();
      }
    },
  } satisfies OwnerCommand<{ dryRun: boolean; tenantPlan?: Plan }>,
  'app-role:password': {
    summary: "Give this database's app role the password APP_DB_PASSWORD (migrations never change an existing role's)",
    usage: 'app-role:password',
    options: {},
    async parse(args) {
      noPositionals(args);
      if (!process.env.APP_DB_PASSWORD) throw new UsageError('set APP_DB_PASSWORD to the new password');
    },
    async runAsOwner(ownerUrl) {
      const [{ default: pg }, { quoteIdent, readDeploymentRoles }] = await Promise.all([import('pg'), import('../database/roles.js')]);
      const client = new pg.Client({ connectionString: ownerUrl });
      await client.connect();
      try {
        const { app } = await readDeploymentRoles(client);
        await client.query(`ALTER ROLE ${quoteIdent(app)} PASSWORD ${client.escapeLiteral(process.env.APP_DB_PASSWORD!)}`);
        return { role: app, password: 'changed' };
      } finally {
        await client.end();
      }
    },
  } satisfies OwnerCommand<void>,
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
    async parse(args) {
      noPositionals(args);
      return validated(
        CreateTenantDto,
        {
          organization_name: required(args, 'name'),
          subdomain: required(args, 'subdomain'),
          admin_email: required(args, 'admin-email'),
          plan: args.values.plan,
          tenant_id: args.values.id,
          trial_days: integerOption(args.values['trial-days']),
        },
        { organization_name: '--name', subdomain: '--subdomain', admin_email: '--admin-email', plan: '--plan', tenant_id: '--id', trial_days: '--trial-days' },
      );
    },
    run: (commands, dto, operator) => commands.createTenant(operator, dto),
  } satisfies ServiceCommand<CreateTenantDto>,
  'tenant:list': {
    summary: 'List tenants with usage',
    usage: 'tenant:list [--status ACTIVE|SUSPENDED|TRIAL|CANCELLED]',
    options: { status: { type: 'string' } },
    async parse(args) {
      noPositionals(args);
      return validated(AdminTenantListQuery, { status: args.values.status }, { status: '--status' });
    },
    run: (commands, query) => commands.listTenants(query.status),
  } satisfies ServiceCommand<AdminTenantListQuery>,
  'tenant:suspend': {
    summary: 'Suspend a tenant: every credential of it is refused (audited)',
    usage: 'tenant:suspend <tenant_id> [--reason <text>]',
    options: { reason: { type: 'string' } },
    ...setStatus('SUSPENDED'),
  },
  'tenant:activate': {
    summary: 'Reactivate a suspended or cancelled tenant (audited)',
    usage: 'tenant:activate <tenant_id> [--reason <text>]',
    options: { reason: { type: 'string' } },
    ...setStatus('ACTIVE'),
  },
  'user:create': {
    summary: 'Create a tenant user; prints a generated password once unless --password-stdin',
    usage:
      'user:create --tenant <tenant_id> --email <email> [--role ADMIN|MANAGER|ANALYST|VIEWER] [--name <full name, default: the e-mail>] [--password-stdin]',
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string', default: 'ADMIN' },
      name: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
    },
    async parse(args) {
      noPositionals(args);
      const tenantId = await tenantArgument(args);
      const email = required(args, 'email');
      const generated = !args.values['password-stdin'];
      const password = generated ? generatePassword() : (await readStdin()).replace(/\r?\n$/, '');
      const dto = await validated(
        CreateUserDto,
        { email, password, full_name: args.values.name ?? email, role: args.values.role },
        { email: '--email', password: 'the password read from stdin', full_name: '--name', role: '--role' },
      );
      return { tenantId, dto, generated };
    },
    async run(commands, { tenantId, dto, generated }, operator) {
      const user = await commands.createUser(operator, tenantId, dto);
      return generated ? { ...user, password: dto.password, password_note: 'shown once; not stored in clear anywhere' } : user;
    },
  } satisfies ServiceCommand<{ tenantId: string; dto: CreateUserDto; generated: boolean }>,
  'apikey:create': {
    summary: 'Issue an API key for a tenant; the key is printed once',
    usage: `apikey:create --tenant <tenant_id> [--name <key name>] [--scopes <comma-separated: ${SCOPES.join(',')}>]`,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string', default: 'cli' },
      scopes: { type: 'string', default: INTEGRATOR_KEY_SCOPES.join(',') },
    },
    async parse(args) {
      noPositionals(args);
      const tenantId = await tenantArgument(args);
      const scopes = String(args.values.scopes).split(',').map((scope) => scope.trim()).filter(Boolean);
      if (scopes.length === 0) throw new UsageError('--scopes: give at least one scope');
      const dto = await validated(CreateApiKeyDto, { key_name: args.values.name, scopes }, { key_name: '--name', scopes: '--scopes' });
      return { tenantId, dto };
    },
    async run(commands, { tenantId, dto }, operator) {
      const { key, ...issued } = await commands.createApiKey(operator, tenantId, dto);
      return { ...issued, api_key: key, api_key_note: 'shown once; only its hash is stored' };
    },
  } satisfies ServiceCommand<{ tenantId: string; dto: CreateApiKeyDto }>,
  'audit:verify': {
    summary: "Check tenants' audit hash chains; exits 1 when one is broken",
    usage: 'audit:verify (<tenant_id> | --all)',
    options: { all: { type: 'boolean', default: false } },
    async parse(args) {
      const all = args.values.all === true;
      if (all && args.positionals.length) throw new UsageError('give a tenant id or --all, not both');
      if (!all && args.positionals.length !== 1) throw new UsageError('give one tenant id, or --all');
      return all ? ('all' as const) : [await tenantArgument(args)];
    },
    async run(commands, tenantIds) {
      const results = await commands.verifyAudit(tenantIds);
      const broken = results.filter((result) => !result.valid);
      const report = tenantIds === 'all' ? results : results[0];
      if (broken.length) {
        process.stdout.write(render(report, jsonOutput) + '\n');
        throw new CommandFailed(`audit chain broken for ${broken.map((result) => `${result.tenant_id} (first broken row ${result.first_broken_id})`).join(', ')}`);
      }
      return report;
    },
  } satisfies ServiceCommand<string[] | 'all'>,
  'audit:seal': {
    summary: "Seal the audit chains' pending rows now (one pass, as the API's sealer does); prints what it sealed and what is left",
    usage: 'audit:seal [--batch <rows per transaction, default AUDIT_SEAL_BATCH>]',
    options: { batch: { type: 'string' } },
    async parse(args) {
      noPositionals(args);
      const batch = args.values.batch;
      if (batch !== undefined && !(typeof batch === 'string' && /^[1-9][0-9]{0,5}$/.test(batch))) throw new UsageError('--batch: a whole number from 1 to 999999');
      return { batch: batch === undefined ? undefined : Number(batch) };
    },
    async runAsOwner(ownerUrl, { batch }, config) {
      const [{ default: pg }, { readSealStatus, runSealPass }] = await Promise.all([import('pg'), import('../audit/audit-seal.js')]);
      // The app role, as the API's sealer: fg_audit_seal runs for the tenant the session names.
      const client = new pg.Client({ connectionString: config.database.appDatabaseUrl ?? appRoleUrl(ownerUrl, await appRoleOf(ownerUrl), config.database.appDbPassword), application_name: 'fraudguard-cli' });
      await client.connect();
      try {
        const pass = await runSealPass(client, { batch: batch ?? config.database.auditSealBatch });
        const pending = await readSealStatus(client);
        return {
          sealed: pass.sealed,
          tenants: pass.tenants,
          pending: pending.map((tenant) => ({ tenant_id: tenant.tenantId, rows: tenant.pending, oldest: tenant.oldest })),
          ...(pending.length ? { pending_note: 'rows of transactions still open when the pass began are sealed by a later pass' } : {}),
        };
      } finally {
        await client.end();
      }
    },
  } satisfies OwnerCommand<{ batch?: number }>,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: npm run cli -- <command> [options]   (each command takes --help)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Database: DATABASE_URL (owner), else the embedded PostgreSQL of `npm start`.',
    'Output: a table (or field: value lines) on stdout; --json for the JSON document. Exit codes: 0 ok, 1 failure, 2 usage error.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return `Usage: npm run cli -- ${command.usage} [--json]\n\n${command.summary}.\n--json prints the result as JSON. Exit codes: 0 ok, 1 failure, 2 usage error.`;
}

/**
 * The application's services need the migrated schema and its roles: without them the failure
 * would name a missing relation or role. Say what to run instead.
 */
async function assertMigrated(ownerUrl: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'fraudguard-cli' });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT to_regclass('migrations') IS NOT NULL AND to_regclass('tenants') IS NOT NULL AS migrated`);
    if (!rows[0].migrated) throw new StartupError('the database is not migrated: run `npm run cli -- migrate`');
  } finally {
    await client.end();
  }
}

/** The app role recorded in the database of `ownerUrl` (roles.ts). */
async function appRoleOf(ownerUrl: string): Promise<string> {
  const [{ default: pg }, { readDeploymentRoles }] = await Promise.all([import('pg'), import('../database/roles.js')]);
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    return (await readDeploymentRoles(client)).app;
  } finally {
    await client.end();
  }
}

/**
 * The application context for one command, closed when the command is done. Nest's and the
 * services' log lines go to stderr, and only when LOG_LEVEL asks for debug: a failure is the one
 * line runCli prints, and stdout is the command's result. Imported here, not at the top: help
 * and usage errors need none of it.
 */
async function withApplication<T>(config: FraudGuardConfig, ownerUrl: string, work: (commands: OperatorCommands) => Promise<T>): Promise<T> {
  const [{ NestFactory }, { CliModule }, { OperatorCommands }] = await Promise.all([
    import('@nestjs/core'),
    import('./cli.module.js'),
    import('./operator-commands.js'),
  ]);
  const level = ['debug', 'trace'].includes(config.app.logLevel) ? config.app.logLevel : 'fatal';
  const appUrl = config.database.appDatabaseUrl ?? appRoleUrl(ownerUrl, await appRoleOf(ownerUrl), config.database.appDbPassword);
  // The API's background audit sealer stays off in a CLI process (`audit:seal` runs a pass on demand).
  const cliConfig: FraudGuardConfig = { ...config, database: { ...config.database, auditSealer: false } };
  const context = await NestFactory.createApplicationContext(CliModule.forRoot(cliConfig, ownerUrl, appUrl), {
    logger: new PinoNestLogger(createLogger(level, pino.destination({ fd: 2, sync: true }))),
    abortOnError: false,
  });
  try {
    return await work(context.get(OperatorCommands));
  } finally {
    await context.close();
  }
}

/**
 * A failure as one line, pointing to the next command where there is one: an unmigrated database,
 * an unknown tenant, a database that cannot be reached or refuses the credentials.
 */
function failureMessage(error: any, config: FraudGuardConfig | undefined, ownerUrl: string | undefined): string {
  if (error instanceof CommandFailed || error instanceof StartupError) return error.message;
  if (ProblemException && error instanceof ProblemException) {
    return error.getStatus() === 404 && /^Tenant /.test(error.message) ? `${error.message}: see \`npm run cli -- tenant:list\`` : error.message;
  }
  if (error?.code === '23505') return `already exists: ${error.detail ?? error.message}`;
  if (config && ownerUrl) {
    const source = config.database.databaseUrl
      ? 'DATABASE_URL'
      : `the embedded PostgreSQL (EMBEDDED_PG_DIR=${config.database.embeddedPgDir}, EMBEDDED_PG_PORT=${config.database.embeddedPgPort})`;
    // A user named in the error other than the owner's is the app role (the API's services connect as it).
    const named = /(?:user|role) "([^"]+)"/.exec(error?.message ?? '')?.[1];
    const appRole = named !== undefined && named !== (decodeURIComponent(new URL(ownerUrl).username) || 'postgres');
    const target = appRole
      ? {
          url: config.database.appDatabaseUrl ?? appRoleUrl(ownerUrl, named, config.database.appDbPassword),
          source: config.database.appDatabaseUrl ? 'APP_DATABASE_URL' : source,
          passwordSource: config.database.appDatabaseUrl ? undefined : 'APP_DB_PASSWORD',
        }
      : { url: ownerUrl, source };
    const line = describeConnectionError(error, target);
    if (line) return line;
  }
  return error?.message ?? String(error);
}

export async function runCli(argv: string[]): Promise<number> {
  jsonOutput = argv.includes('--json');
  const [name, ...rest] = argv.filter((arg) => arg !== '--json');
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
    process.stdout.write(commandHelp(command) + '\n');
    return EXIT_OK;
  }
  let stopEmbedded: (() => Promise<void>) | undefined;
  let config: FraudGuardConfig | undefined;
  let ownerUrl: string | undefined;
  try {
    const parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    await loadRuntime();
    config = loadConfig();
    const input = await command.parse({ values: parsed.values as Args['values'], positionals: parsed.positionals });
    ownerUrl = config.database.databaseUrl;
    if (!ownerUrl) {
      const { startEmbeddedPostgres } = await import('../database/embedded-postgres.js');
      const cluster = await startEmbeddedPostgres({ dir: config.database.embeddedPgDir, port: config.database.embeddedPgPort, persistent: true });
      stopEmbedded = cluster.stop;
      ownerUrl = cluster.ownerUrl;
    }
    const owner = ownerUrl;
    if (!('runAsOwner' in command)) await assertMigrated(owner);
    const result =
      'runAsOwner' in command
        ? await command.runAsOwner(owner, input, config)
        : await withApplication(config, owner, (commands) => command.run(commands, input, operatorOrigin()));
    process.stdout.write(render(result, jsonOutput, TABLE_COLUMNS[name]) + '\n');
    return EXIT_OK;
  } catch (error: any) {
    if (error instanceof UsageError || error?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`${name}: ${error.message}\n\n${commandHelp(command)}\n`);
      return EXIT_USAGE;
    }
    if (ConfigError && error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`${name} failed: ${failureMessage(error, config, ownerUrl)}\n`);
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
