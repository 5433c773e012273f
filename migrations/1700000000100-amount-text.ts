import type { MigrationInterface, QueryRunner } from 'typeorm';

/** ISO 4217 codes whose minor unit is not 2 decimals (every other payment currency has 2), as in src/transactions/iso-4217.ts. */
const ZERO_DECIMALS = ['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
const THREE_DECIMALS = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];
const FOUR_DECIMALS = ['CLF', 'UYW'];

const list = (codes: string[]) => codes.map((code) => `'${code}'`).join(', ');

/**
 * fg_amount_text(amount, currency): an amount as the API shows it, a decimal string with the
 * currency's ISO 4217 minor-unit scale ("129.90" EUR, "1500" JPY, "12.500" KWD), never fewer
 * decimals than the stored value has (a legacy amount with more keeps them all). The transaction
 * lists format every row's amount with it in PostgreSQL, which is cheaper than in Node.
 *
 * A plain SQL expression, IMMUTABLE and without SET or STRICT, so the planner inlines it into the
 * query that calls it: no function call per row.
 */
export class AmountText1700000000100 implements MigrationInterface {
  name = 'AmountText1700000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION fg_amount_text(p_amount numeric, p_currency bpchar) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
      AS $fn$
        SELECT pg_catalog.round(p_amount, greatest(
                 CASE WHEN p_currency IN (${list(ZERO_DECIMALS)}) THEN 0
                      WHEN p_currency IN (${list(THREE_DECIMALS)}) THEN 3
                      WHEN p_currency IN (${list(FOUR_DECIMALS)}) THEN 4
                      ELSE 2 END,
                 pg_catalog.scale(pg_catalog.trim_scale(p_amount))))::text
      $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION fg_amount_text(numeric, bpchar)`);
  }
}
