import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from './problem.js';

/** A positive int4 written plainly ("12"; not "1e3", "0x10", "1.0" or " 12"), else 400. */
export function parseId(value: unknown, name = 'id'): number {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 2_147_483_647) {
    const message = `${name} must be a positive integer`;
    throw new ProblemException(400, 'validation-error', 'Validation failed', message, { errors: [{ field: name, message }] });
  }
  return Number(value);
}

/**
 * `:id` of serial rows. A custom decorator rather than a pipe on @Param: the global ValidationPipe
 * (transform) would first turn "1e3" into 1000 for a `number` parameter. A well-formed id of another
 * tenant is then a plain 404 from the repository (RLS and the tenant in WHERE hide it).
 */
export const IdParam = createParamDecorator((name: string | undefined, context: ExecutionContext): number => {
  const key = name ?? 'id';
  return parseId(context.switchToHttp().getRequest<FastifyRequest<{ Params: Record<string, string> }>>().params[key], key);
});
