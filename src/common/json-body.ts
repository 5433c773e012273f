import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Deeper JSON than this is refused before any code walks it (class-transformer recurses per level). */
export const MAX_JSON_DEPTH = 32;

function refused(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400 });
}

/**
 * What a request body must be before validation sees it: UTF-8 (not silently repaired into U+FFFD),
 * a JSON object (not null, a scalar or an array), at most MAX_JSON_DEPTH levels deep, and without
 * NUL characters in any key or string (PostgreSQL text and jsonb cannot store them, so they could
 * only ever end as a 500 or a silently altered value). Walked iteratively: the depth limit is what
 * protects the recursive code after it, so it must not recurse itself.
 */
export function checkJsonBody(value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refused('The request body must be a JSON object');
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) throw refused('Strings in the request body may not contain NUL characters');
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw refused(`The request body may nest at most ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1]);
    } else {
      for (const [key, item] of Object.entries(node)) {
        if (key.includes('\u0000')) throw refused('Keys in the request body may not contain NUL characters');
        stack.push([item, depth + 1]);
      }
    }
  }
}

/**
 * Replaces Fastify's application/json parser with one that keeps its prototype-poisoning checks
 * (`__proto__` and `constructor.prototype` keys are refused) and adds the checks above. Bodies are
 * JSON only: Fastify's text/plain parser goes too, so a text/plain body is a 415 that says which
 * Content-Type to send, like any other type, rather than a string that fails validation.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer | string, done) => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    if (bytes.length > 0 && !isUtf8(bytes)) return done(refused('The request body is not valid UTF-8'), undefined);
    parseJson(request, bytes.toString('utf8'), (error, value) => {
      if (error) return done(error, undefined);
      try {
        checkJsonBody(value);
      } catch (refusal) {
        return done(refusal as Error, undefined);
      }
      done(null, value);
    });
  });
}
