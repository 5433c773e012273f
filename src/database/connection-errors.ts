/**
 * PostgreSQL connection and privilege failures as one line naming what to change: what `npm start`
 * and the CLI print instead of a driver stack trace.
 */

/** A failure already described in one line; main.ts and the CLI print its message alone. */
export class StartupError extends Error {}

/** Which connection failed, and the setting a person changes to fix each part of it. */
export interface ConnectionTarget {
  url: string;
  /** Where the host, port, user and database come from, e.g. `DATABASE_URL`. */
  source: string;
  /** Where the password comes from, when not from `source` (e.g. `APP_DB_PASSWORD`). */
  passwordSource?: string;
}

interface PgLikeError {
  code?: string;
  message?: string;
  hostname?: string;
  address?: string;
  port?: number;
}

const NOT_MIGRATED = 'the database is not migrated: run `npm run cli -- migrate` (or start with MIGRATIONS_RUN=true)';

function endpoint(url: string): { host: string; port: string; user: string; database: string } {
  try {
    const parsed = new URL(url);
    return {
      host: parsed.hostname || 'localhost',
      port: parsed.port || '5432',
      user: decodeURIComponent(parsed.username) || 'postgres',
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres',
    };
  } catch {
    return { host: '?', port: '?', user: '?', database: '?' };
  }
}

/** The error itself, or the first of an AggregateError's (Node's happy-eyeballs connect) that has a code. */
function unwrap(error: unknown): PgLikeError | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const inner = (error as { errors?: unknown[] }).errors;
  if (!(error as PgLikeError).code && Array.isArray(inner)) return inner.find((item) => (item as PgLikeError)?.code) as PgLikeError | undefined;
  return error as PgLikeError;
}

/**
 * One line for a failure to connect to (or use) PostgreSQL through `target`, or undefined when the
 * error is not one of the recognised kinds.
 */
export function describeConnectionError(error: unknown, target: ConnectionTarget): string | undefined {
  const failure = unwrap(error);
  if (!failure) return undefined;
  const { host, port, user, database } = endpoint(target.url);
  const message = failure.message ?? '';
  switch (failure.code) {
    case 'ECONNREFUSED':
      return `cannot reach PostgreSQL at ${host}:${port} (connection refused): check the host and port in ${target.source} and that the server is running`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host "${host}" of ${target.source}: check the host name`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot reach PostgreSQL at ${host}:${port} (${failure.code}): check the host and port in ${target.source} and the network in between`;
    case '28P01':
      return `PostgreSQL refused the password of user "${user}": fix the password in ${target.passwordSource ?? target.source}`;
    case '28000':
      if (/role .* does not exist/.test(message)) {
        return target.passwordSource ? `PostgreSQL has no role "${user}": ${NOT_MIGRATED}` : `PostgreSQL has no role "${user}": fix the user in ${target.source}`;
      }
      return `PostgreSQL refused user "${user}" on database "${database}" (${message}): fix ${target.source} or the server's pg_hba.conf`;
    case '3D000':
      return `database "${database}" does not exist on ${host}:${port}: create it (createdb ${database}) or fix the database name in ${target.source}`;
    case '42P01':
    case '42883':
      return `${NOT_MIGRATED} (${message})`;
    case '57P03':
      return `PostgreSQL at ${host}:${port} is starting up or shutting down: try again in a moment`;
    default:
      if (/timeout expired|connection timeout/i.test(message)) {
        return `PostgreSQL at ${host}:${port} did not answer in time: check the host and port in ${target.source} and the network in between`;
      }
      return undefined;
  }
}

/** Runs `work`; a recognised connection failure becomes a StartupError with its one line. */
export async function explainingConnectionErrors<T>(target: ConnectionTarget, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const line = describeConnectionError(error, target);
    throw line ? new StartupError(line) : error;
  }
}
