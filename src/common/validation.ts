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

/** Body and query types with a shortcut to "valid" (see registerFastValidation). */
const fastPaths = new Map<Type<unknown>, (value: unknown) => unknown>();

/**
 * Lets `accept` vouch for bodies or queries of `type` that class-validator would accept anyway, so
 * they skip its (per-property, per-item) machinery: it returns what the handler gets — what
 * ValidationPipe's transform would have made of the value — or undefined to leave the value to
 * class-validator as usual, which alone reports errors. So `accept` must never accept more than
 * the DTO's decorators do; its tests compare the two.
 */
export function registerFastValidation<T>(type: Type<T>, accept: (value: unknown) => T | undefined): void {
  fastPaths.set(type, accept);
}

class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const accept = (metadata.type === 'body' || metadata.type === 'query') && metadata.metatype ? fastPaths.get(metadata.metatype) : undefined;
    const accepted = accept?.(value);
    if (accepted !== undefined) return accepted;
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
