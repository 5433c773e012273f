import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { ValidateBy, validateSync, type ValidationOptions } from 'class-validator';

/** The process environment, or a test's stand-in for it. */
export type Env = Record<string, string | undefined>;

/** One line naming the variable: what main.ts and the CLI print before they exit. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

/**
 * Checks `env` against one namespace's class of environment variables and returns its instance.
 * An empty variable counts as unset. The first broken variable (in the class's declaration order,
 * first broken rule of that variable) throws a ConfigError.
 */
export function validateConfig<T extends object>(env: Env, variables: ClassConstructor<T>): T {
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') set[name] = value;
  const instance = plainToInstance(variables, set);
  const [error] = validateSync(instance, { stopAtFirstError: true });
  if (!error) return instance;
  const [constraint, message] = Object.entries(error.constraints ?? {})[0] ?? ['', 'is invalid'];
  const describe = error.contexts?.[constraint]?.problem as ((value: string) => string) | undefined;
  throw new ConfigError(error.property, describe ? describe(error.value) : message);
}

/**
 * A message that quotes the rejected value. Built here rather than by class-validator, whose
 * message tokens ($value, $property, …) would rewrite a value that happens to contain them. The
 * placeholder message is needed: class-validator returns a rule's context only with a message.
 */
export function problem(describe: (value: string) => string): ValidationOptions {
  return { message: 'is invalid', context: { problem: describe } };
}

const INTEGER = /^\d+$/;
const TRUE = /^(true|1|yes)$/i;
const FALSE = /^(false|0|no)$/i;

/** A whole number written in digits only, within [min, max]. */
export function IsEnvInteger(min: number, max: number): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEnvInteger',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && INTEGER.test(value) && Number(value) >= min && Number(value) <= max,
      },
    },
    problem((value) => (INTEGER.test(value) ? `must be between ${min} and ${max}, got ${Number(value)}` : `must be an integer, got "${value}"`)),
  );
}

/** true / 1 / yes or false / 0 / no, in any case. */
export function IsEnvBoolean(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEnvBoolean',
      validator: { validate: (value: unknown) => typeof value === 'string' && (TRUE.test(value) || FALSE.test(value)) },
    },
    problem((value) => `must be true or false, got "${value}"`),
  );
}

function parsesAsUrl(value: unknown): URL | undefined {
  try {
    return typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
}

/** A postgres:// or postgresql:// URL. */
export function IsPostgresUrl(): PropertyDecorator {
  return ValidateBy({
    name: 'isPostgresUrl',
    validator: {
      validate: (value: unknown) => ['postgres:', 'postgresql:'].includes(parsesAsUrl(value)?.protocol ?? ''),
      defaultMessage: (args) => (parsesAsUrl(args?.value) ? 'must be a postgres:// URL' : 'is not a URL'),
    },
  });
}

/** At least `min` bytes once UTF-8 encoded (a secret's strength is in bytes, not characters). */
export function MinBytes(min: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'minBytes',
      constraints: [min],
      validator: { validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value) >= min },
    },
    options,
  );
}

/** At least `min` UTF-16 code units (String#length). */
export function MinCodeUnits(min: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'minCodeUnits',
      constraints: [min],
      validator: { validate: (value: unknown) => typeof value === 'string' && value.length >= min },
    },
    options,
  );
}

/** A validated IsEnvInteger variable, or `fallback` when unset. */
export function readInteger(value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : Number(value);
}

/** A validated IsEnvBoolean variable, or `fallback` when unset. */
export function readBoolean(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : TRUE.test(value);
}
