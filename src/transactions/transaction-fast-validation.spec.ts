import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import fc from 'fast-check';
import { isAcceptableBatch, isAcceptableTransaction, TRANSACTION_ITEM_KEYS } from './transaction-fast-validation.js';
import { BATCH_MAX, CreateTransactionBatchDto, CreateTransactionDto } from './transaction.dto.js';

/** class-validator as the app configures it (createValidationPipe), without the shortcut. */
const reference = new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
const acceptedByClassValidator = (type: typeof CreateTransactionDto | typeof CreateTransactionBatchDto, value: unknown) =>
  reference.transform(structuredClone(value), { type: 'body', metatype: type, data: undefined }).then(
    () => true,
    () => false,
  );

const ordinary = { account_ref: 'acc-1', amount: '12.50', currency: 'EUR', merchant: 'Coffee', merchant_category: '5411', country: 'DE', device_id: 'd-1' };
const soon = () => new Date(Date.now() - 60_000).toISOString();

/** Each field: mostly values that pass, sometimes one that fails or sits on the edge. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<U>) => fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: edge, weight: 1 });
const field = {
  account_id: fc.constantFrom(undefined, null, '7c1f7a4e-7f53-4e4c-9a57-1b1f0b6f6c1d', 'not-a-uuid', 42, '7C1F7A4E-7F53-4E4C-9A57-1B1F0B6F6C1D'),
  account_ref: mostly(fc.constantFrom('acc-1', 'a'.repeat(128)), fc.oneof(fc.constantFrom(null, '', ' x', 'a'.repeat(129), 'é', 7), fc.string({ maxLength: 6 }))),
  amount: mostly(
    fc.constantFrom('12.50', '100', 12.5, '99999999999999.99', '0.001'),
    fc.oneof(fc.constantFrom('0', '0.00', '-1', '1e3', '12.345', 0.1 + 0.2, 1e309, Number.NaN, null, '', ' 1'), fc.double()),
  ),
  currency: mostly(fc.constantFrom('EUR', 'JPY', 'KWD', 'BHD'), fc.constantFrom('eur', 'XXX', '', 978, null)),
  merchant: mostly(fc.constantFrom('M', 'x'.repeat(255), '😀'.repeat(127)), fc.oneof(fc.constantFrom('', 'x'.repeat(256), '😀'.repeat(128), 5, null), fc.string({ maxLength: 4 }))),
  merchant_category: mostly(fc.constantFrom(undefined, '5411'), fc.constantFrom('541', '54111', 5411, 'abcd', '٤٥٦٧', null)),
  country: mostly(fc.constantFrom(undefined, 'DE'), fc.constantFrom('de', 'XX', 'DEU', null, 49)),
  ip_address: mostly(fc.constantFrom(undefined, '10.0.0.1', '::1'), fc.constantFrom('256.1.1.1', 'fe80::1%eth0', '01.2.3.4', '', null, '1.2.3')),
  device_id: mostly(fc.constantFrom(undefined, 'd-1', 'd'.repeat(128)), fc.constantFrom('', 'd'.repeat(129), 3, null)),
  txn_time: mostly(fc.constantFrom(undefined, 'recent'), fc.constantFrom('1999-12-31T23:59:59Z', '2026-13-01T00:00:00Z', '2026-01-01', 'yesterday', '9999-01-01T00:00:00Z', null, '2026-01-01T00:00:00')),
  external_id: mostly(fc.constantFrom(undefined, 'ext-1'), fc.constantFrom('', ' ext', 'e'.repeat(129), 1, null)),
  metadata: mostly(fc.constantFrom(undefined, {}, { a: 1 }), fc.constantFrom([], 'x', null, { deep: { a: { b: { c: { d: 1 } } } } }, { nul: 'a\u0000' })),
  extra: mostly(fc.constant(undefined), fc.constantFrom({ tenant_id: 'other' }, { unknown: 1 })),
};

const item = fc.record(field).map(({ extra, ...rest }) => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) out[key] = value;
  if (out.account_id !== undefined && out.account_id !== null && typeof out.account_ref === 'string' && out.account_ref.startsWith('acc')) delete out.account_ref;
  if (out.txn_time === 'recent') out.txn_time = soon();
  return { ...out, ...(extra ?? {}) };
});

describe('the validation shortcut for transactions', () => {
  it('knows every property of CreateTransactionDto (a new one must be added to it)', () => {
    const properties = new Set(getMetadataStorage().getTargetValidationMetadatas(CreateTransactionDto, '', true, false).map((meta) => meta.propertyName));
    expect([...TRANSACTION_ITEM_KEYS].sort()).toEqual([...properties].sort());
  });

  it('never accepts an item class-validator refuses', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(item, async (candidate) => {
        if (!isAcceptableTransaction(candidate)) return;
        accepted++;
        expect(await acceptedByClassValidator(CreateTransactionDto, candidate)).toBe(true);
      }),
      { numRuns: 3000 },
    );
    // The generator reaches both sides of the line, so the comparison means something.
    expect(accepted).toBeGreaterThan(20);
  });

  it('accepts the ordinary items it exists for, so batches skip class-validator', async () => {
    const items = [
      ordinary,
      { ...ordinary, account_ref: undefined, account_id: '7c1f7a4e-7f53-4e4c-9a57-1b1f0b6f6c1d' },
      { ...ordinary, ip_address: '203.0.113.7', txn_time: soon(), external_id: 'ext-9', metadata: { channel: 'web' } },
      { account_ref: 'x', amount: 1500, currency: 'JPY', merchant: 'Shop' },
    ].map((candidate) => JSON.parse(JSON.stringify(candidate)));
    for (const candidate of items) {
      expect(isAcceptableTransaction(candidate)).toBe(true);
      expect(await acceptedByClassValidator(CreateTransactionDto, candidate)).toBe(true);
    }
    expect(isAcceptableBatch({ transactions: items }, BATCH_MAX)).toBe(true);
  });

  it('leaves every doubtful batch to class-validator', async () => {
    const doubtful = [
      null,
      [],
      { transactions: [] },
      { transactions: Array(BATCH_MAX + 1).fill(ordinary) },
      { transactions: [ordinary], extra: 1 },
      { transactions: [ordinary, { ...ordinary, amount: '-1' }] },
      { transactions: [ordinary, null] },
      { transactions: 'x' },
    ];
    for (const body of doubtful) {
      expect(isAcceptableBatch(body, BATCH_MAX)).toBe(false);
      expect(await acceptedByClassValidator(CreateTransactionBatchDto, body)).toBe(false);
    }
  });
});
