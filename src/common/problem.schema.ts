import { ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { NO_TENANT_DETAIL } from './problem.js';

export class FieldErrorSchema {
  @ApiProperty({ example: 'limit' }) field: string;
  @ApiProperty({ example: 'limit must not be greater than 100' }) message: string;
}

/** The one error shape of the API (RFC 9457), referenced by every documented error response. */
export class ProblemDetailsSchema {
  @ApiProperty({ example: 'https://fraudguard.example/problems/validation-error' }) type: string;
  @ApiProperty({ example: 'Validation failed' }) title: string;
  @ApiProperty({ example: 400 }) status: number;
  @ApiPropertyOptional({ example: 'The request is not valid: see errors[]' }) detail?: string;
  @ApiProperty({ example: '6f1c2a9e-2b51-4a43-9d1e-5f7a1c0e9b2d' }) request_id: string;
  @ApiPropertyOptional({ type: [FieldErrorSchema] }) errors?: FieldErrorSchema[];
}

const REQUEST_ID = '6f1c2a9e-2b51-4a43-9d1e-5f7a1c0e9b2d';
const EXAMPLES: Record<number, Record<string, unknown>> = {
  400: { type: 'https://fraudguard.example/problems/validation-error', title: 'Validation failed', status: 400, detail: 'The request is not valid: see errors[]', errors: [{ field: 'limit', message: 'limit must not be greater than 100' }] },
  401: { type: 'https://fraudguard.example/problems/no-tenant', title: 'Unauthorized', status: 401, detail: NO_TENANT_DETAIL },
  403: { type: 'https://fraudguard.example/problems/insufficient-scope', title: 'Insufficient scope', status: 403, detail: 'The API key lacks the scope read:audit', missing_scopes: ['read:audit'] },
  404: { type: 'https://fraudguard.example/problems/not-found', title: 'Not Found', status: 404, detail: 'Tenant not found' },
  429: { type: 'https://fraudguard.example/problems/rate-limited', title: 'Too many requests', status: 429, detail: 'Too many requests for this client address (30 per minute); retry later', limit: 30, window_seconds: 60, retry_after: 2 },
  503: { type: 'https://fraudguard.example/problems/not-ready', title: 'Not ready', status: 503, detail: 'database unreachable' },
};

/** Documents problem+json responses for the given statuses, all with the shared schema. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: STATUS_CODES[status] ?? 'Error',
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(ProblemDetailsSchema) },
            ...(EXAMPLES[status] ? { example: { ...EXAMPLES[status], request_id: REQUEST_ID } } : {}),
          },
        },
      }),
    ),
  );
}
