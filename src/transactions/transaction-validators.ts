import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { COUNTRY_CODES } from './iso-3166.js';
import { CURRENCY_MINOR_UNITS } from './iso-4217.js';

/** numeric(18, 4): at most 14 integer digits. */
const DECIMAL = /^(0|[1-9]\d{0,13})(\.\d{1,18})?$/;

/** Amount as the wire gives it (decimal string or JSON number) → canonical decimal string, or an error. */
export function amountProblem(value: unknown, currency: unknown): string | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'amount must be a finite number';
    text = String(value);
  } else if (typeof value === 'string') {
    text = value;
  } else {
    return 'amount must be a decimal string or a number';
  }
  if (!DECIMAL.test(text)) return 'amount must be a plain decimal with at most 14 integer digits (e.g. "12.50")';
  if (!/[1-9]/.test(text)) return 'amount must be greater than 0';
  const decimals = (text.split('.')[1] ?? '').replace(/0+$/, '').length;
  const minorUnits = typeof currency === 'string' ? CURRENCY_MINOR_UNITS.get(currency) : undefined;
  if (minorUnits !== undefined && decimals > minorUnits) return `amount has more decimals than ${currency} allows (${minorUnits})`;
  return undefined;
}

export function canonicalAmount(value: string | number): string {
  const text = String(value);
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

export function IsAmount(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isAmount',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown, args: ValidationArguments) => amountProblem(value, (args.object as any).currency) === undefined,
        defaultMessage: (args: ValidationArguments) => amountProblem(args.value, (args.object as any).currency) ?? 'invalid amount',
      },
    });
}

export function IsCurrencyCode(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCurrencyCode',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && CURRENCY_MINOR_UNITS.has(value),
        defaultMessage: (args: ValidationArguments) => `${args.property} must be an ISO 4217 currency code (e.g. EUR)`,
      },
    });
}

export function IsCountryCode(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCountryCode',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && COUNTRY_CODES.has(value),
        defaultMessage: (args: ValidationArguments) => `${args.property} must be an ISO 3166-1 alpha-2 country code (e.g. DE)`,
      },
    });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function accountReferenceProblem(object: any): string | undefined {
  const hasId = object.account_id !== undefined && object.account_id !== null;
  const hasRef = object.account_ref !== undefined && object.account_ref !== null;
  if (hasId === hasRef) return 'exactly one of account_id or account_ref is required';
  if (hasId && (typeof object.account_id !== 'string' || !UUID.test(object.account_id))) return 'account_id must be a UUID';
  return undefined;
}

/** Exactly one of account_id (an account's UUID) and account_ref must be given. */
export function IsAccountReference(options?: ValidationOptions): PropertyDecorator {
  const problem = accountReferenceProblem;
  return (target, propertyName) =>
    registerDecorator({
      name: 'isAccountReference',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => problem(args.object) === undefined,
        defaultMessage: (args: ValidationArguments) => problem(args.object) ?? 'invalid account reference',
      },
    });
}

/** Reject absurd txn_time values: before 2000 or more than the allowed clock skew in the future. */
export const TXN_TIME_MAX_SKEW_MS = 5 * 60_000;
const EARLIEST_TXN_TIME = Date.parse('2000-01-01T00:00:00Z');

export function plausibleTxnTime(value: unknown): boolean {
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(time) && time >= EARLIEST_TXN_TIME && time <= Date.now() + TXN_TIME_MAX_SKEW_MS;
}

export function IsPlausibleTxnTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPlausibleTxnTime',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: plausibleTxnTime,
        defaultMessage: () => 'txn_time must be an ISO 8601 time between 2000-01-01 and now (5 minutes of clock skew allowed)',
      },
    });
}

export const METADATA_MAX_BYTES = 4096;
export const METADATA_MAX_DEPTH = 4;
export const METADATA_MAX_KEYS = 50;

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((max, child) => Math.max(max, depthOf(child)), 0);
}

export function metadataProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'metadata must be a JSON object';
  if (Object.keys(value).length > METADATA_MAX_KEYS) return `metadata may have at most ${METADATA_MAX_KEYS} keys`;
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json) > METADATA_MAX_BYTES) return `metadata may be at most ${METADATA_MAX_BYTES} bytes of JSON`;
  if (json.includes('\\u0000')) return 'metadata may not contain NUL characters'; // jsonb cannot store them
  if (depthOf(value) > METADATA_MAX_DEPTH) return `metadata may nest at most ${METADATA_MAX_DEPTH} levels`;
  return undefined;
}

/** A small JSON object: bounded serialized size, nesting depth and number of top-level keys. */
export function IsSmallJsonObject(options?: ValidationOptions): PropertyDecorator {
  const problem = metadataProblem;
  return (target, propertyName) =>
    registerDecorator({
      name: 'isSmallJsonObject',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => problem(value) === undefined,
        defaultMessage: (args: ValidationArguments) => problem(args.value) ?? 'invalid metadata',
      },
    });
}

const EARLIEST_FILTER_TIME = Date.parse('1900-01-01T00:00:00Z');
const LATEST_FILTER_TIME = Date.parse('9999-12-31T23:59:59Z');

/** A time filter (from / to) PostgreSQL can take: a real date between 1900 and 9999. */
export function IsTimeFilter(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isTimeFilter',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => {
          const time = typeof value === 'string' ? Date.parse(value) : NaN;
          return Number.isFinite(time) && time >= EARLIEST_FILTER_TIME && time <= LATEST_FILTER_TIME;
        },
        defaultMessage: (args: ValidationArguments) => `${args.property} must be an ISO 8601 time between 1900 and 9999`,
      },
    });
}
