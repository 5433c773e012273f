import { HttpException } from '@nestjs/common';

export const PROBLEM_BASE = 'https://fraudguard.example/problems/';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/**
 * An RFC 9457 problem with a type of its own (`plan-limit`, `tenant-suspended`, …). Thrown anywhere,
 * rendered by the problem+json filter; `headers` travel with it (Retry-After, WWW-Authenticate).
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly slug: string,
    readonly title: string,
    detail?: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title, status);
  }

  toProblem(): ProblemDetails {
    return { type: PROBLEM_BASE + this.slug, title: this.title, status: this.getStatus(), detail: this.message, ...this.extensions };
  }
}

export class NotFoundProblem extends ProblemException {
  constructor(resource: string) {
    super(404, 'not-found', 'Not Found', `${resource} not found`);
  }
}

export class ValidationProblem extends ProblemException {
  constructor(errors: FieldError[]) {
    super(400, 'validation-error', 'Validation failed', 'The request is not valid: see errors[]', { errors });
  }
}
