/**
 * A timestamptz column rendered as text with microseconds, for keyset cursors: a JS Date keeps only
 * milliseconds, and a cursor rounded to milliseconds would skip or repeat rows.
 */
export function cursorTime(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
