import { isIP, isISO8601, length, matches } from 'class-validator';
import { EXTERNAL_REF } from './account.dto.js';
import { COUNTRY_CODES } from './iso-3166.js';
import { CURRENCY_MINOR_UNITS } from './iso-4217.js';
import { accountReferenceProblem, amountProblem, metadataProblem, plausibleTxnTime } from './transaction-validators.js';

/** Every property of CreateTransactionDto (a test keeps this list equal to the DTO's). */
export const TRANSACTION_ITEM_KEYS: ReadonlySet<string> = new Set([
  'account_id',
  'account_ref',
  'amount',
  'currency',
  'merchant',
  'merchant_category',
  'country',
  'ip_address',
  'device_id',
  'txn_time',
  'external_id',
  'metadata',
]);

const MCC = /^\d{4}$/;

const reference = (value: unknown, max: number) => typeof value === 'string' && length(value, 1, max) && matches(value, EXTERNAL_REF);

/**
 * True when class-validator would accept this CreateTransactionDto too: the same checks (the very
 * functions behind the DTO's decorators), minus the error reporting — class-validator walks
 * metadata and builds error objects per property, about 40 µs an item, which made validation half of
 * a 1,000-item batch. It is only ever a shortcut to "valid": anything it does not accept (a null,
 * an unknown key, any failing rule) goes to class-validator, which alone words the errors.
 */
export function isAcceptableTransaction(item: unknown): boolean {
  if (item === null || typeof item !== 'object' || Object.getPrototypeOf(item) !== Object.prototype) return false;
  const o = item as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!TRANSACTION_ITEM_KEYS.has(key) || o[key] === null || o[key] === undefined) return false;
  return (
    accountReferenceProblem(o) === undefined &&
    (o.account_ref === undefined || reference(o.account_ref, 128)) &&
    amountProblem(o.amount, o.currency) === undefined &&
    typeof o.currency === 'string' &&
    CURRENCY_MINOR_UNITS.has(o.currency) &&
    typeof o.merchant === 'string' &&
    length(o.merchant, 1, 255) &&
    (o.merchant_category === undefined || (typeof o.merchant_category === 'string' && matches(o.merchant_category, MCC))) &&
    (o.country === undefined || (typeof o.country === 'string' && COUNTRY_CODES.has(o.country))) &&
    (o.ip_address === undefined || isIP(o.ip_address)) &&
    (o.device_id === undefined || (typeof o.device_id === 'string' && length(o.device_id, 1, 128))) &&
    (o.txn_time === undefined || (isISO8601(o.txn_time, { strict: true }) && plausibleTxnTime(o.txn_time))) &&
    (o.external_id === undefined || reference(o.external_id, 128)) &&
    (o.metadata === undefined || metadataProblem(o.metadata) === undefined)
  );
}

/** The same for CreateTransactionBatchDto: `{ transactions: [1..max acceptable items] }` and nothing else. */
export function isAcceptableBatch(body: unknown, max: number): boolean {
  if (body === null || typeof body !== 'object' || Object.getPrototypeOf(body) !== Object.prototype) return false;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'transactions') return false;
  const items = (body as { transactions: unknown }).transactions;
  return Array.isArray(items) && items.length >= 1 && items.length <= max && items.every(isAcceptableTransaction);
}
