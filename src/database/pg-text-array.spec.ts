import fc from 'fast-check';
import pg from 'pg';
import { textArray } from './pg-text-array.js';

/** node-postgres's own parameter encoder (what it sends for a JS array). */
const prepareValue = (pg as unknown as { utils: { prepareValue: (value: unknown) => unknown } }).utils.prepareValue;

describe('textArray', () => {
  it('is exactly the literal node-postgres makes of the same array', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('"', '\\', '\\"', 'NULL', '', ' a ', '{}', ','), fc.constant(null), fc.double({ noNaN: true }), fc.integer())), (values) => {
        expect(textArray(values)).toBe(prepareValue(values));
      }),
      { numRuns: 2000 },
    );
  });

  it('quotes safe values without escaping them', () => {
    const values = ['01a21993-d01d-76a7-a5cf-d6f9037ebf6c', '12.5', '2026-11-26T20:37:27.226Z', null, 0.15];
    expect(textArray(values, true)).toBe(prepareValue(values));
  });
});
