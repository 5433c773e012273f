import type { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/**
 * Never logged, wherever they appear in a logged object: credentials in headers, and secrets in
 * bodies or values (the same idea as the audit redaction). Paths are pino's (fast-redact).
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-admin-token"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-admin-token"]',
  'headers.cookie',
  ...['password', 'password_hash', 'new_password', 'current_password', 'key_hash', 'token', 'refresh_token', 'access_token', 'secret', 'api_key', 'mfa_secret'].flatMap(
    (key) => [key, `*.${key}`, `*.*.${key}`],
  ),
];

/** One JSON line per event on stdout, with the service's name, ISO time and the level as a word. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'fraudguard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/**
 * Nest's start-up chatter — a line per module, controller and route (about 80) — is debug detail:
 * at info, start-up shows what matters (migrations, warnings, listening, the demo banner).
 */
const START_UP_DETAIL = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Nest's own messages (bootstrap, `new Logger(ctx)` in services) through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', message: unknown, params: unknown[]): void {
    const context = typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    if (level === 'info' && context !== undefined && START_UP_DETAIL.has(context)) level = 'debug';
    if (!this.logger.isLevelEnabled(level)) return;
    if (context !== undefined) params.pop();
    if (message !== null && typeof message === 'object') {
      const text = typeof params[0] === 'string' ? (params[0] as string) : undefined;
      this.logger[level]({ context, ...(message as object) }, text);
      return;
    }
    const stack = level === 'error' || level === 'fatal' ? params.find((param) => typeof param === 'string') : undefined;
    this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogArgs = [obj: unknown, msg?: string, ...args: unknown[]];

/**
 * A request's logger, made real on first use. Fastify gives every request a pino child carrying its
 * request_id; building it (bindings serialised, redaction set up) was about 1 % of a request's CPU,
 * and at the usual levels most requests log nothing. Calls below the level return before any child
 * exists; the first call that logs makes the child, with the same bindings and options.
 */
export class LazyChildLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindingsOf: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
  ) {
    // A route's own log level or message prefix (Fastify passes them here) only the real child
    // knows: make it at once rather than answer level questions from the parent.
    if (options.level !== undefined || options.msgPrefix !== undefined) this.#child = parent.child(bindingsOf, options);
  }

  private get real(): Logger {
    return (this.#child ??= this.parent.child(this.bindingsOf, this.options));
  }

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  get msgPrefix(): string | undefined {
    return this.#child?.msgPrefix ?? this.parent.msgPrefix;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  bindings(): pino.Bindings {
    return this.real.bindings();
  }

  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.real.child(bindings, options);
  }

  private log(level: Level, args: LogArgs): void {
    if (!this.isLevelEnabled(level)) return;
    (this.real[level] as (...args: LogArgs) => void)(...args);
  }

  fatal(...args: LogArgs): void {
    this.log('fatal', args);
  }
  error(...args: LogArgs): void {
    this.log('error', args);
  }
  warn(...args: LogArgs): void {
    this.log('warn', args);
  }
  info(...args: LogArgs): void {
    this.log('info', args);
  }
  debug(...args: LogArgs): void {
    this.log('debug', args);
  }
  trace(...args: LogArgs): void {
    this.log('trace', args);
  }
  silent(): void {}
}
