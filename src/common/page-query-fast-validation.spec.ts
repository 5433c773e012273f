import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import fc from 'fast-check';
import { AlertListQuery } from '../transactions/alert.dto.js';
import { TransactionListQuery } from '../transactions/transaction.dto.js';
import { PageQuery, plainPageQuery } from './pagination.js';

/** class-validator as the app configures it (createValidationPipe), without the shortcut. */
const reference = new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
const byClassValidator = (type: new () => PageQuery, query: unknown) =>
  reference.transform(structuredClone(query), { type: 'query', metatype: type, data: undefined }).then(
    (value) => ({ ok: true as const, value }),
    () => ({ ok: false as const }),
  );

const limit = fc.constantFrom('1', '50', '100', '101', '0', '050', '1.5', '-1', 'abc', '', '1e2', ['1', '2']);
const cursor = fc.constantFrom('abc.def', 'a-b_c.D-e_F', 'abc', '.abc', 'abc.', 'a.b.c', 'x'.repeat(300) + '.' + 'y'.repeat(300), '', 'x'.repeat(255) + '.' + 'y'.repeat(256));
/** Mostly page-only queries (what the shortcut is for), some with the lists' filters or unknown keys. */
const query = fc.oneof(
  fc.record({ limit, starting_after: cursor }, { requiredKeys: [] }),
  fc.record(
    { limit, starting_after: cursor, status: fc.constantFrom('APPROVED', 'nope'), handled: fc.constantFrom('true', 'maybe'), other: fc.constant('1') },
    { requiredKeys: [] },
  ),
);

describe('the validation shortcut for list queries', () => {
  for (const type of [PageQuery, TransactionListQuery, AlertListQuery]) {
    it(`${type.name}: answers only what class-validator answers, with the same query object`, async () => {
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(query, async (candidate) => {
          const fast = plainPageQuery(type, candidate);
          if (fast === undefined) return;
          accepted++;
          const slow = await byClassValidator(type, candidate);
          expect(slow.ok).toBe(true);
          if (slow.ok) {
            expect(fast).toBeInstanceOf(type);
            expect({ ...fast }).toEqual({ ...(slow.value as object) });
          }
        }),
        { numRuns: 400 },
      );
      expect(accepted).toBeGreaterThan(5);
    });
  }

  it('is the default page for an empty query', () => {
    expect({ ...plainPageQuery(TransactionListQuery, {})! }).toEqual({ limit: 50 });
    expect({ ...plainPageQuery(TransactionListQuery, { limit: '7', starting_after: 'a.b' })! }).toEqual({ limit: 7, starting_after: 'a.b' });
  });
});
