import { ApiProperty, ApiPropertyOptional, ApiSchema, DECORATORS, getSchemaPath } from '@nestjs/swagger';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { STATUS_CODES } from 'node:http';
import { NO_TENANT_DETAIL, PROBLEM_BASE, unsupportedMediaTypeDetail } from './problem.js';
import { SLUG_BY_STATUS } from './problem.filter.js';

@ApiSchema({ name: 'FieldError' })
export class FieldErrorSchema {
  @ApiProperty({ example: 'limit' }) field: string;
  @ApiProperty({ example: 'limit must not be greater than 100' }) message: string;
}

/** The one error shape of the API (RFC 9457), referenced by every documented error response. */
@ApiSchema({ name: 'ProblemDetails', description: 'RFC 9457 problem details; `type` names the problem, extension members depend on it' })
export class ProblemDetailsSchema {
  @ApiProperty({ example: 'https://fraudguard.example/problems/validation-error', description: 'Identifies the problem type; stable, safe to switch on' })
  type: string;
  @ApiProperty({ example: 'Validation failed' }) title: string;
  @ApiProperty({ example: 400 }) status: number;
  @ApiPropertyOptional({ example: 'The request is not valid: see errors[]' }) detail?: string;
  @ApiProperty({ example: '6f1c2a9e-2b51-4a43-9d1e-5f7a1c0e9b2d', description: 'Also in the X-Request-Id response header and the server logs' })
  request_id: string;
  @ApiPropertyOptional({ type: [FieldErrorSchema], description: 'The fields that failed validation' }) errors?: FieldErrorSchema[];
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const REQUEST_ID = '6f1c2a9e-2b51-4a43-9d1e-5f7a1c0e9b2d';

/** One documented problem type: its status and the example body the API answers with. */
export interface ProblemDoc {
  status: number;
  slug: string;
  title: string;
  example: Record<string, unknown>;
}

export function problemDoc(status: number, slug: string, title: string, detail: string, extensions: Record<string, unknown> = {}): ProblemDoc {
  return { status, slug, title, example: { type: PROBLEM_BASE + slug, title, status, detail, ...extensions, request_id: REQUEST_ID } };
}

/**
 * The problem types the API answers, as examples for the document. Each mirrors the
 * ProblemException that produces it (same slug, title and detail wording).
 */
export const Problem = {
  validation: (field = 'limit', message = 'limit must not be greater than 100') =>
    problemDoc(400, 'validation-error', 'Validation failed', 'The request is not valid: see errors[]', { errors: [{ field, message }] }),
  /** A path parameter refused by IdParam / ParseUuidPipe: the message is also the detail. */
  invalidParameter: (field: string, message: string) =>
    problemDoc(400, 'validation-error', 'Validation failed', message, { errors: [{ field, message }] }),
  badRequest: (detail: string) => problemDoc(400, 'bad-request', 'Bad Request', detail),
  invalidCursor: () => problemDoc(400, 'invalid-cursor', 'Invalid cursor', 'starting_after is not a cursor issued by this API'),
  noTenant: () => problemDoc(401, 'no-tenant', 'Unauthorized', NO_TENANT_DETAIL),
  invalidApiKey: () => problemDoc(401, 'invalid-api-key', 'Invalid API key', 'The API key is not valid'),
  invalidToken: () => problemDoc(401, 'invalid-token', 'Invalid token', 'The access token is invalid or expired'),
  invalidAdminToken: () => problemDoc(401, 'invalid-admin-token', 'Unauthorized', 'A valid X-Admin-Token is required'),
  userLoginRequired: () => problemDoc(403, 'forbidden', 'Forbidden', 'This route requires a user login, not an API key'),
  insufficientScope: (scopes: readonly string[]) =>
    problemDoc(403, 'insufficient-scope', 'Insufficient scope', `The API key lacks the scope ${scopes.join(', ')}`, { missing_scopes: [...scopes] }),
  insufficientRole: (role: string) => problemDoc(403, 'insufficient-role', 'Insufficient role', `This route requires the ${role} role or higher`),
  tenantMismatch: (apiKeys = true) =>
    problemDoc(
      403,
      'tenant-mismatch',
      'Tenant mismatch',
      apiKeys ? 'The API key and the access token belong to different tenants' : 'The host acme.fraudguard.example belongs to another tenant than the credentials',
    ),
  tenantSuspended: () => problemDoc(403, 'tenant-suspended', 'Tenant suspended', 'This organization is suspended'),
  forbidden: (slug: string, title: string, detail: string, extensions: Record<string, unknown> = {}) => problemDoc(403, slug, title, detail, extensions),
  planLimit: (detail: string, extensions: Record<string, unknown> = {}) => problemDoc(403, 'plan-limit', 'Plan limit reached', detail, extensions),
  notFound: (resource: string) => problemDoc(404, 'not-found', 'Not Found', `${resource} not found`),
  conflict: (slug: string, title: string, detail: string, extensions: Record<string, unknown> = {}) => problemDoc(409, slug, title, detail, extensions),
  payloadTooLarge: () => problemDoc(413, 'payload-too-large', 'Payload Too Large', 'Request body is too large'),
  unsupportedMediaType: () => problemDoc(415, 'unsupported-media-type', 'Unsupported Media Type', unsupportedMediaTypeDetail('text/plain')),
  unprocessable: (slug: string, title: string, detail: string, extensions: Record<string, unknown> = {}) => problemDoc(422, slug, title, detail, extensions),
  rateLimited: () =>
    problemDoc(429, 'rate-limited', 'Too many requests', 'The rate limit of this API key (600 requests per minute) is exhausted', {
      limit: 600,
      window_seconds: 60,
      retry_after: 12,
    }),
  publicRateLimited: () =>
    problemDoc(429, 'rate-limited', 'Too many requests', 'Too many requests for this client address (30 per minute); retry later', {
      limit: 30,
      window_seconds: 60,
      retry_after: 2,
    }),
  unavailable: () => problemDoc(503, 'service-unavailable', 'Service Unavailable', 'The database is unavailable; retry shortly'),
  invalidIdempotencyKey: () =>
    problemDoc(400, 'invalid-idempotency-key', 'Invalid Idempotency-Key', 'Idempotency-Key must be 1 to 255 printable ASCII characters'),
  idempotencyInFlight: () =>
    problemDoc(409, 'idempotency-in-flight', 'Request in flight', 'A request with this Idempotency-Key is still being processed; retry shortly'),
  idempotencyKeyReused: () =>
    problemDoc(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used with a different request'),
};

interface ResponseEntry {
  description?: string;
  content?: Record<string, { schema?: unknown; examples?: Record<string, { summary: string; value: unknown }> }>;
  [key: string]: unknown;
}

/** Adds the problems to a handler's documented responses, one example per problem type under its status. */
function mergeProblems(handler: object, problems: ProblemDoc[]): void {
  const responses: Record<string, ResponseEntry> = { ...(Reflect.getMetadata(DECORATORS.API_RESPONSE, handler) ?? {}) };
  for (const problem of problems) {
    const existing = responses[problem.status];
    const media = existing?.content?.[PROBLEM_MEDIA_TYPE];
    const examples = { ...(media?.examples ?? {}), [problem.slug]: { summary: problem.title, value: problem.example } };
    const titles = [...new Set(Object.values(examples).map((example) => example.summary))];
    responses[problem.status] = {
      ...existing,
      description: titles.join('; '),
      content: { ...existing?.content, [PROBLEM_MEDIA_TYPE]: { schema: { $ref: getSchemaPath(ProblemDetailsSchema) }, examples } },
    };
  }
  Reflect.defineMetadata(DECORATORS.API_RESPONSE, responses, handler);
}

/** What a bare status documents: the problem the filter makes of a plain HttpException of that status. */
function genericProblem(status: number): ProblemDoc {
  const title = STATUS_CODES[status] ?? 'Error';
  return problemDoc(status, SLUG_BY_STATUS[status] ?? 'error', title, title);
}

/**
 * Documents problem+json responses, merged with what other decorators documented: two problems
 * of one status (403 insufficient-scope and 403 tenant-suspended) become two examples of that
 * response. A bare status stands for that status's generic problem; prefer a `Problem.…` entry,
 * whose example is the one the route really answers. On a controller class it applies to every
 * route of the class.
 */
export function ApiProblems(...entries: (ProblemDoc | number)[]) {
  const problems = entries.map((entry) => (typeof entry === 'number' ? genericProblem(entry) : entry));
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor) {
      mergeProblems(descriptor.value, problems);
      return;
    }
    const prototype = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name !== 'constructor' && typeof handler === 'function' && Reflect.getMetadata(PATH_METADATA, handler) !== undefined) {
        mergeProblems(handler, problems);
      }
    }
  };
}
