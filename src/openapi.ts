import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, BEARER_SCHEME } from './common/authenticated.decorator.js';
import { FieldErrorSchema, ProblemDetailsSchema } from './common/problem.schema.js';

export const ADMIN_TOKEN_SCHEME = 'admin-token';

/**
 * The OpenAPI document, built from the controllers' decorators. Deterministic (no host, port or
 * date in it), so the committed openapi.json can be compared with what the app serves.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('FraudGuard API')
    .setDescription(
      'Multi-tenant fraud monitoring. Authenticate with an API key (`X-API-Key`) or a user JWT ' +
        '(`Authorization: Bearer`). Errors are RFC 9457 `application/problem+json`. Lists use cursor ' +
        'pagination (`limit`, `starting_after` → `{ data, has_more, next_cursor }`).',
    )
    .setVersion('1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A tenant API key (fgk_live_…)' }, API_KEY_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A tenant user access token' }, BEARER_SCHEME)
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-Admin-Token', description: 'Platform operators only (PLATFORM_ADMIN_TOKEN)' },
      ADMIN_TOKEN_SCHEME,
    )
    .build();
  return SwaggerModule.createDocument(app, config, {
    extraModels: [ProblemDetailsSchema, FieldErrorSchema],
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
}

/** Swagger UI at /docs and the document at /openapi.json, outside /api/v1 and open to anyone. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    useGlobalPrefix: false,
    jsonDocumentUrl: 'openapi.json',
    raw: ['json'],
    customSiteTitle: 'FraudGuard API',
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true, tryItOutEnabled: false },
  });
  return document;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value as object)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/**
 * The committed file's exact text: keys sorted (so the document does not depend on the order in
 * which decorators and the CLI plugin add properties, and diffs stay small), 2-space indent,
 * final newline. Arrays keep their order.
 */
export function serialiseOpenApi(document: OpenAPIObject): string {
  return JSON.stringify(sortKeys(document), null, 2) + '\n';
}
