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

/** The 401 of a request that names no tenant: what to send instead. */
export const NO_TENANT_DETAIL =
  'No tenant identified: send an API key in the X-API-Key header, or a user access token as "Authorization: Bearer <token>" (from POST /api/v1/auth/login)';

export function noTenantProblem(): ProblemException {
  return new ProblemException(401, 'no-tenant', 'Unauthorized', NO_TENANT_DETAIL, {}, { 'www-authenticate': 'ApiKey, Bearer' });
}

/** The 415 of a body that is not JSON: what to send instead (`sent` is the request's Content-Type, if any). */
export function unsupportedMediaTypeDetail(sent: string | undefined): string {
  // The media type only (no parameters), short and printable: enough to see the mistake, too little to reflect anything.
  const shown = sent?.split(';')[0].trim().slice(0, 64).replace(/[^\x21-\x7e]/g, '?');
  return `Send the request body as JSON with "Content-Type: application/json"${shown ? ` (this request sent "${shown}")` : ''}`;
}
