import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ProblemException } from './problem.js';
import { registerFastValidation } from './validation.js';

const LIMIT = /^[1-9]\d{0,2}$/;
const CURSOR = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** `limit` and `starting_after` of every list; extend it with the list's own filters. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number = 50;

  @ApiPropertyOptional({ description: 'The next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(CURSOR, { message: 'starting_after must be a cursor returned by this API' })
  starting_after?: string;
}

/**
 * The validation shortcut (registerFastValidation) for a list query that has nothing but `limit`
 * and `starting_after`, both plainly valid — by far the commonest list request: the query object
 * ValidationPipe would have made, or undefined for anything else (class-validator decides).
 */
export function plainPageQuery<T extends PageQuery>(type: new () => T, query: unknown): T | undefined {
  if (query === null || typeof query !== 'object') return undefined;
  const { limit, starting_after: cursor, ...rest } = query as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return undefined;
  if (limit !== undefined && !(typeof limit === 'string' && LIMIT.test(limit) && Number(limit) <= 100)) return undefined;
  if (cursor !== undefined && !(typeof cursor === 'string' && cursor.length <= 512 && CURSOR.test(cursor))) return undefined;
  const page = new type();
  if (limit !== undefined) page.limit = Number(limit);
  if (cursor !== undefined) page.starting_after = cursor;
  return page;
}

registerFastValidation(PageQuery, (query) => plainPageQuery(PageQuery, query));

export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/**
 * Keyset cursors: the sort key of the last row, base64url-encoded and signed so a client cannot
 * forge a position (a tampered cursor is a 400, not a query on arbitrary values). The signature
 * covers the list's name too, so a cursor of one list (users) is refused by another (api-keys)
 * whose key has the same shape. The signature key
 * is per process start unless CURSOR_SECRET is set, which every instance behind a load balancer shares.
 */
const CURSOR_KEY = process.env.CURSOR_SECRET || randomBytes(32).toString('hex');

function sign(list: string, payload: string): string {
  return createHmac('sha256', CURSOR_KEY).update(`${list}\n${payload}`).digest('base64url').slice(0, 22);
}

export function encodeCursor(list: string, key: readonly (string | number)[]): string {
  const payload = Buffer.from(JSON.stringify(key)).toString('base64url');
  return `${payload}.${sign(list, payload)}`;
}

export function decodeCursor(list: string, cursor: string | undefined, arity: number): (string | number)[] | undefined {
  if (cursor === undefined) return undefined;
  const split = cursor.indexOf('.');
  const payload = cursor.slice(0, split);
  const signature = cursor.slice(split + 1);
  const expected = sign(list, payload);
  const invalid = () => new ProblemException(400, 'invalid-cursor', 'Invalid cursor', 'starting_after is not a cursor issued by this API');
  if (split <= 0 || signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) throw invalid();
  try {
    const key = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!Array.isArray(key) || key.length !== arity) throw invalid();
    return key;
  } catch {
    throw invalid();
  }
}

/** Fetch `limit + 1` rows, then call this: it trims the extra row and derives the next cursor. */
export function toPage<T>(list: string, rows: T[], limit: number, keyOf: (row: T) => (string | number)[]): Page<T> {
  const has_more = rows.length > limit;
  const data = has_more ? rows.slice(0, limit) : rows;
  return { data, has_more, next_cursor: has_more ? encodeCursor(list, keyOf(data[data.length - 1])) : null };
}
