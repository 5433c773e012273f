import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { registerDecorator, type ValidationOptions } from 'class-validator';
import { ProblemException } from './problem.js';

/**
 * What PostgreSQL's uuid input accepts (uuid_in): 32 hex digits in either case, a hyphen allowed
 * after any group of four but the last, the whole optionally in braces. No version or variant is
 * required: ids converted from serials (00000000-0000-0000-0000-000000000005) are uuids too.
 */
const PG_UUID = /^(?:\{[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}\}|[0-9a-f]{4}(?:-?[0-9a-f]{4}){7})$/i;

/** The uuid as PostgreSQL prints it (lower case, 8-4-4-4-12), or undefined when PostgreSQL would refuse it. */
export function canonicalUuid(value: unknown): string | undefined {
  if (typeof value !== 'string' || !PG_UUID.test(value)) return undefined;
  const hex = value.replace(/[{}-]/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `:id` of uuid rows: any uuid PostgreSQL accepts, handed on in its canonical form; anything else
 * is a 400 problem naming the parameter. A well-formed id of another tenant is then a plain 404.
 */
@Injectable()
export class ParseUuidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    const uuid = canonicalUuid(value);
    if (uuid !== undefined) return uuid;
    const name = metadata.data ?? 'id';
    const message = `${name} must be a UUID`;
    throw new ProblemException(400, 'validation-error', 'Validation failed', message, { errors: [{ field: name, message }] });
  }
}

/** class-validator: a uuid PostgreSQL accepts (pair with `@Transform(toCanonicalUuid)` to hand on the canonical form). */
export function IsPgUuid(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPgUuid',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be a UUID`, ...options },
      validator: { validate: (value: unknown) => canonicalUuid(value) !== undefined },
    });
}

/** class-transformer: a uuid's canonical form; other values unchanged, for the validator to refuse. */
export const toCanonicalUuid = ({ value }: { value: unknown }): unknown => canonicalUuid(value) ?? value;
