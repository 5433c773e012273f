/**
 * A timestamptz column as the API renders times (ISO 8601, UTC, milliseconds — what JSON.stringify
 * makes of a Date), formatted by PostgreSQL: cheaper than parsing it into a Date in Node only to
 * turn it back into the same string. Lists of many rows use it.
 */
export function isoTime(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * The same column with microseconds, for keyset cursors: a JS Date keeps only milliseconds, and a
 * cursor rounded to them would skip or repeat rows.
 */
export function cursorTime(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
