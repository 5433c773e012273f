import { ArgumentMetadata, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ValidationProblem } from './problem.js';

/** Flattens class-validator's tree into `transactions.13.amount`-style paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) out.push({ field, message });
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/** Body types with a shortcut to "valid" (see registerFastValidation). */
const fastPaths = new Map<Type<unknown>, (value: unknown) => boolean>();

/**
 * Lets `accepts` vouch for bodies of `type` that class-validator would accept anyway, so they skip
 * its (per-property, per-item) machinery. Whatever `accepts` does not vouch for goes through
 * class-validator as usual, which alone reports errors; so `accepts` must never accept more than
 * the DTO's decorators do — its tests compare the two.
 */
export function registerFastValidation<T>(type: Type<T>, accepts: (value: unknown) => boolean): void {
  fastPaths.set(type, accepts);
}

class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const accepts = metadata.type === 'body' && metadata.metatype ? fastPaths.get(metadata.metatype) : undefined;
    if (accepts?.(value)) return value;
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationProblem(flattenValidationErrors(errors)),
  });
}
