import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ACCESS_EXTENSION, API_KEY_SCHEME, BEARER_SCHEME } from './common/authenticated.decorator.js';
import { IDEMPOTENCY_KEY_HEADER } from './common/idempotency.interceptor.js';
import { FieldErrorSchema, Problem, PROBLEM_MEDIA_TYPE, ProblemDetailsSchema, ProblemDoc } from './common/problem.schema.js';

export const ADMIN_TOKEN_SCHEME = 'admin-token';

/** The tags, in the order an integrator meets them; every operation carries exactly one. */
export const TAGS: [name: string, description: string][] = [
  ['Tenants', 'Sign up an organization, read and change its settings and usage'],
  ['Auth', 'Log in, refresh and revoke tokens, reset a forgotten password'],
  ['Users', "The organization's people and their roles (ADMIN > MANAGER > ANALYST > VIEWER)"],
  ['API keys', 'Keys for machine access, each with its scopes and rate limit'],
  ['Accounts', 'The accounts transactions are made on'],
  ['Transactions', 'Ingest transactions (one or a batch) and read them with their risk score'],
  ['Alerts', 'Fraud alerts raised by risky transactions, and their resolution'],
  ['Audit', "The organization's tamper-evident audit trail"],
  ['Operators', 'Platform operators only (X-Admin-Token)'],
  ['Health', 'Liveness and readiness probes'],
];

/** What a well-formed `{id}` that names no row of the caller's tenant is called in its 404. */
const RESOURCE_BY_COLLECTION: Record<string, string> = {
  'api-keys': 'API key',
  users: 'User',
  accounts: 'Account',
  transactions: 'Transaction',
  alerts: 'Alert',
  tenants: 'Tenant',
};

type Json = Record<string, any>;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Response headers, declared once under components.headers. */
const HEADERS: Json = {
  RateLimit: {
    description: 'IETF RateLimit: the tightest bucket, its remaining requests and seconds until it refills, e.g. `"key";r=598;t=60`',
    schema: { type: 'string' },
  },
  'RateLimit-Policy': {
    description: 'IETF RateLimit-Policy: every bucket that applies (the API key and the organization), e.g. `"key";q=600;w=60, "tenant";q=6000;w=60`',
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
  'Idempotent-Replayed': {
    description: '`true` when the answer is the stored answer of an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
};

/**
 * The OpenAPI document, built from the controllers' decorators. Deterministic (no host, port or
 * date in it), so the committed openapi.json can be compared with what the app serves.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('FraudGuard API')
    .setDescription(
      'Multi-tenant fraud monitoring. Authenticate with an API key (`X-API-Key`) or a user JWT ' +
        '(`Authorization: Bearer`, from `POST /api/v1/auth/login`); platform operators use `X-Admin-Token`. ' +
        'Each operation says which it accepts and what role or scope it needs. Errors are RFC 9457 ' +
        '`application/problem+json`. Lists use cursor pagination (`limit`, `starting_after` → ' +
        '`{ data, has_more, next_cursor }`). Amounts are decimal strings with the currency\'s minor-unit scale.',
    )
    .setVersion('1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A tenant API key (fgk_live_…)' }, API_KEY_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A tenant user access token' }, BEARER_SCHEME)
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-Admin-Token', description: 'Platform operators only (PLATFORM_ADMIN_TOKEN)' },
      ADMIN_TOKEN_SCHEME,
    );
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    extraModels: [ProblemDetailsSchema, FieldErrorSchema],
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
    autoTagControllers: false,
  });
  return completeDocument(document);
}

/**
 * What no route decorator knows, added to every operation from the global request pipeline:
 * the body parser and the ValidationPipe (400, 413, 415), path ids (400, 404), the database
 * (503), the rate-limit and idempotency headers; the access rule in words; schema names without
 * the `Dto` suffix of the classes.
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  const renamed = renameSchemas(document) as OpenAPIObject;
  renamed.components = { ...renamed.components, headers: { ...renamed.components?.headers, ...HEADERS } };
  for (const [path, item] of Object.entries<Json>(renamed.paths)) {
    for (const method of HTTP_METHODS) {
      const operation: Json | undefined = item[method];
      if (operation) completeOperation(renamed, path, method, operation);
    }
  }
  return renamed;
}

function completeOperation(document: Json, path: string, method: string, operation: Json): void {
  const parameters: Json[] = operation.parameters ?? [];
  const extra: ProblemDoc[] = [];

  const body = operation.requestBody?.content?.['application/json']?.schema;
  if (body) {
    extra.push(bodyValidationProblem(document, body), Problem.badRequest('The request body must be a JSON object'));
    extra.push(Problem.payloadTooLarge(), Problem.unsupportedMediaType());
  }
  if (parameters.some((parameter) => parameter.in === 'query')) {
    extra.push(Problem.validation());
    if (parameters.some((parameter) => parameter.in === 'query' && parameter.name === 'starting_after')) extra.push(Problem.invalidCursor());
  }
  for (const parameter of parameters.filter((candidate) => candidate.in === 'path')) {
    const collection = path.split('/').slice(0, path.split('/').indexOf(`{${parameter.name}}`)).pop()!;
    const resource = RESOURCE_BY_COLLECTION[collection] ?? 'Resource';
    const name: string = parameter.name;
    // IdParam and ParseUuidPipe answer their own problem; other ids go through the ValidationPipe.
    if (parameter.schema?.format === 'uuid') extra.push(Problem.invalidParameter(name, `${name} must be a UUID`));
    else if (parameter.schema?.type === 'integer') extra.push(Problem.invalidParameter(name, `${name} must be a positive integer`));
    else extra.push(Problem.validation(name, `${name} must be a ${resource.toLowerCase()} id`));
    extra.push(Problem.notFound(resource));
  }
  if (!(path === '/health' && method === 'get')) extra.push(Problem.unavailable());
  addProblems(operation, extra);

  // RateLimitGuard sets the RateLimit headers on every answer of a route it counts, the ones that document its 429.
  const rateLimited = !!operation.responses['429']?.content?.[PROBLEM_MEDIA_TYPE]?.examples?.['rate-limited'];
  const idempotent = parameters.some((parameter) => parameter.in === 'header' && parameter.name === IDEMPOTENCY_KEY_HEADER);
  for (const [status, response] of Object.entries<Json>(operation.responses)) {
    const code = Number(status);
    if (!response.description) response.description = STATUS_CODES[code] ?? 'Success';
    const headers: Json = { ...response.headers };
    if (rateLimited && (code < 300 || code === 429)) {
      headers.RateLimit = { $ref: '#/components/headers/RateLimit' };
      headers['RateLimit-Policy'] = { $ref: '#/components/headers/RateLimit-Policy' };
    }
    if (code === 429 || code === 503 || (code === 409 && idempotent)) headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
    if (idempotent && code < 300) headers['Idempotent-Replayed'] = { $ref: '#/components/headers/Idempotent-Replayed' };
    if (Object.keys(headers).length) response.headers = headers;
  }

  const access = operation[ACCESS_EXTENSION];
  const line = accessLine(operation, access);
  if (line && !String(operation.description ?? '').includes(line)) {
    operation.description = operation.description ? `${operation.description}\n\n${line}` : line;
  }
}

/** The route's access rule in words, at the end of its description. */
function accessLine(operation: Json, access: Json | undefined): string | undefined {
  const security: Json[] = operation.security ?? [];
  if (security.some((entry) => ADMIN_TOKEN_SCHEME in entry)) return '**Access:** platform operators (`X-Admin-Token`).';
  if (!access) return security.length ? undefined : '**Access:** public: no credentials.';
  const role = access.role === 'VIEWER' ? 'any user of the organization' : `a user with the ${access.role} role or higher`;
  if (!access.api_keys) return `**Access:** ${role} (Bearer token); API keys are refused.`;
  const scopes: string[] = access.scopes ?? [];
  const key = scopes.length ? `an API key with ${scopes.map((scope) => `\`${scope}\``).join(', ')}` : 'any API key';
  return `**Access:** ${key}, or ${role} (Bearer token).`;
}

/** A validation problem naming a field of this body, as the ValidationPipe would. */
function bodyValidationProblem(document: Json, schema: Json): ProblemDoc {
  const resolved = schema.$ref ? document.components?.schemas?.[String(schema.$ref).split('/').pop()!] : schema;
  const field: string | undefined = resolved?.required?.[0];
  if (!field) return Problem.validation('nickname', 'property nickname should not exist');
  const type = resolved.properties?.[field]?.type;
  const message =
    type === 'string' ? 'must be a string' : type === 'integer' ? 'must be an integer number' : type === 'array' ? 'must be an array' : 'should not be empty';
  return Problem.validation(field, `${field} ${message}`);
}

/** Same merge as the ApiProblems decorator, on the finished document. */
function addProblems(operation: Json, problems: ProblemDoc[]): void {
  for (const problem of problems) {
    const response: Json = (operation.responses[problem.status] ??= { description: '' });
    const media: Json = ((response.content ??= {})[PROBLEM_MEDIA_TYPE] ??= { schema: { $ref: '#/components/schemas/ProblemDetails' } });
    media.examples = { ...media.examples };
    media.examples[problem.slug] ??= { summary: problem.title, value: problem.example };
    response.description = [...new Set(Object.values<Json>(media.examples).map((example) => example.summary))].join('; ');
  }
}

/**
 * Schema names as clients see them: the classes' `…Dto` suffix dropped (`…Request` when a response
 * class has the bare name), every $ref rewritten.
 */
function renameSchemas(document: OpenAPIObject): unknown {
  const names = Object.keys(document.components?.schemas ?? {});
  const renames = new Map<string, string>();
  const taken = (candidate: string) => names.includes(candidate) || [...renames.values()].includes(candidate);
  for (const name of names) {
    if (!name.endsWith('Dto')) continue;
    const base = name.slice(0, -'Dto'.length);
    // A request body whose bare name a response class already has (LoginDto beside Login) is a …Request.
    const target = [base, `${base}Request`].find((candidate) => !taken(candidate));
    if (!target) throw new Error(`OpenAPI schema ${name} cannot be renamed to ${base} or ${base}Request: both names are taken`);
    renames.set(name, target);
  }
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value as Json).map(([key, inner]) => {
        if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/schemas/')) {
          const name = inner.slice('#/components/schemas/'.length);
          return [key, `#/components/schemas/${renames.get(name) ?? name}`];
        }
        return [key, rewrite(inner)];
      }),
    );
  };
  const result = rewrite(document) as Json;
  if (result.components?.schemas) {
    result.components.schemas = Object.fromEntries(Object.entries<Json>(result.components.schemas).map(([name, schema]) => [renames.get(name) ?? name, schema]));
  }
  return result;
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
