/**
 * A PostgreSQL array literal (`{"a","b",NULL}`) for parameters like `$1::uuid[]` — the same text
 * node-postgres makes of a JS array, built in one pass: pg's generic encoder escapes every element
 * with two regex replaces and was ~6 % of a 1,000-row batch's Node time. `safe` columns (ids,
 * decimal strings, ISO times, validated codes) hold no `"` or `\\` and are quoted without escaping.
 */
export function textArray(values: ReadonlyArray<string | number | null | undefined>, safe = false): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    if (value === null || value === undefined) {
      out += 'NULL';
    } else {
      const text = typeof value === 'string' ? value : String(value);
      out += safe || !NEEDS_ESCAPE.test(text) ? `"${text}"` : `"${text.replace(ESCAPED, '\\$&')}"`;
    }
  }
  return `${out}}`;
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;
