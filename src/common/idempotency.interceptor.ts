import { applyDecorators, CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, UseInterceptors } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { from, lastValueFrom, Observable } from 'rxjs';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { ProblemException } from './problem.js';
import { ApiProblems, Problem } from './problem.schema.js';
import { ApiHeader } from '@nestjs/swagger';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so the same body hashes the same whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

export function requestHash(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${url}\n${canonicalJson(body)}`).digest('hex');
}

/**
 * `Idempotency-Key` for POSTs that create: the same key with the same request replays the stored
 * response (header `Idempotent-Replayed: true`) and writes nothing; with a different request → 422;
 * while a request with that key is still running → 409. The response is stored in the request's
 * own transaction, so it exists exactly when the writes it describes do (a failed request stores
 * nothing and its key can be used again). Runs inside the TenantContextInterceptor's transaction.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyRepository,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const key = request.headers['idempotency-key'];
    if (key === undefined) return next.handle();
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new ProblemException(400, 'invalid-idempotency-key', 'Invalid Idempotency-Key', 'Idempotency-Key must be 1 to 255 printable ASCII characters');
    }
    return from(this.run(request, http.getResponse<FastifyReply>(), key, next));
  }

  private async run(request: FastifyRequest, reply: FastifyReply, key: string, next: CallHandler): Promise<unknown> {
    const tenantId = request.auth?.tenantId;
    if (!tenantId) throw new Error('Idempotency needs an identified tenant');
    const hash = requestHash(request.method, request.url.split('?')[0], request.body);

    const claim = await this.store.claim(tenantId, key);
    if (!claim.locked) throw this.inFlight();
    if (claim.stored) {
      if (claim.stored.request_hash !== hash) {
        throw new ProblemException(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used with a different request');
      }
      reply.status(claim.stored.status_code).header('idempotent-replayed', 'true');
      return claim.stored.response;
    }

    const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
    if (!(await this.store.save(tenantId, key, hash, reply.statusCode, result, this.config.idempotencyTtlHours))) throw this.inFlight();
    if (Math.random() < 0.01) await this.store.purgeExpired(tenantId);
    return result;
  }

  private inFlight(): ProblemException {
    return new ProblemException(409, 'idempotency-in-flight', 'Request in flight', 'A request with this Idempotency-Key is still being processed; retry shortly', {}, { 'retry-after': '1' });
  }
}

/** The request header, as the OpenAPI document declares it on every idempotent route. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Marks a create route as accepting `Idempotency-Key`, and documents the header and its problems. */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description:
        'Any unique string (a UUID is a good choice), 1–255 printable ASCII characters. Retrying with the same key and the same ' +
        'request replays the stored answer (header `Idempotent-Replayed: true`) and writes nothing; the same key with another ' +
        'request → 422; while the first request with it still runs → 409.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
    }),
    ApiProblems(Problem.invalidIdempotencyKey(), Problem.idempotencyInFlight(), Problem.idempotencyKeyReused()),
  );
