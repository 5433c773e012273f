import { createParamDecorator, ExecutionContext, Param } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from './problem.js';
import { ParseUuidPipe } from './uuid.js';

/** A positive int4 written plainly ("12"; not "1e3", "0x10", "1.0" or " 12"), else 400. */
export function parseId(value: unknown, name = 'id'): number {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 2_147_483_647) {
    const message = `${name} must be a positive integer`;
    throw new ProblemException(400, 'validation-error', 'Validation failed', message, { errors: [{ field: name, message }] });
  }
  return Number(value);
}

const serialId = createParamDecorator((name: string, context: ExecutionContext): number => {
  return parseId(context.switchToHttp().getRequest<FastifyRequest<{ Params: Record<string, string> }>>().params[name], name);
});

/** Declares the path parameter in the OpenAPI document from a parameter decorator. */
function documentParam(options: Parameters<typeof ApiParam>[0]): ParameterDecorator {
  return (target, key) => {
    if (key !== undefined) ApiParam(options)(target, key, Object.getOwnPropertyDescriptor(target, key)!);
  };
}

/**
 * `:id` of serial rows. A custom decorator rather than a pipe on @Param: the global ValidationPipe
 * (transform) would first turn "1e3" into 1000 for a `number` parameter. A well-formed id of another
 * tenant is then a plain 404 from the repository (RLS and the tenant in WHERE hide it).
 */
export const IdParam = (name = 'id'): ParameterDecorator => {
  const read = serialId(name);
  const document = documentParam({ name, schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 2_147_483_647 }, example: 1, description: 'A positive integer id' });
  return (target, key, index) => {
    read(target, key, index);
    document(target, key, index);
  };
};

/** `:id` of rows with uuid keys (transactions, accounts, alerts): ParseUuidPipe's rules, documented. */
export const UuidParam = (name = 'id'): ParameterDecorator => {
  const read = Param(name, ParseUuidPipe);
  const document = documentParam({ name, schema: { type: 'string', format: 'uuid' }, example: '01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d' });
  return (target, key, index) => {
    read(target, key, index);
    document(target, key, index);
  };
};
