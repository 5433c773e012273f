import { decodeCursor, Page, toPage } from './pagination.js';
import { ProblemException } from './problem.js';

/*
 * Keyset pages on (timestamp DESC, id DESC). The timestamp travels in the cursor as text with
 * microseconds (cursorTime in sql-time.ts).
 */

/** The (timestamp, id) position after which a page starts, from `starting_after`. */
export function keysetAfter(list: string, cursor: string | undefined): [string, string] | undefined {
  const key = decodeCursor(list, cursor, 2);
  if (!key) return undefined;
  if (typeof key[0] !== 'string' || typeof key[1] !== 'string') {
    throw new ProblemException(400, 'invalid-cursor', 'Invalid cursor', 'starting_after is not a cursor issued by this API');
  }
  return [key[0], key[1]];
}

/** Rows fetched with `limit + 1` and a `cursor_time` column → a page without that helper column. */
export function keysetPage<T extends { cursor_time: string; id: string }>(list: string, rows: T[], limit: number): Page<Omit<T, 'cursor_time'>> {
  const page = toPage(list, rows, limit, (row) => [row.cursor_time, row.id]);
  return { ...page, data: page.data.map(({ cursor_time: _, ...row }) => row) };
}
