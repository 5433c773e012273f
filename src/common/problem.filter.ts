import { ArgumentsHost, Catch, ExceptionFilter, HttpException, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { QueryRunnerAlreadyReleasedError } from 'typeorm';
import { PROBLEM_BASE, ProblemDetails, ProblemException, unsupportedMediaTypeDetail } from './problem.js';

function problem(status: number, slug: string, detail?: string, title = STATUS_CODES[status] ?? 'Error'): ProblemDetails {
  return { type: PROBLEM_BASE + slug, title, status, detail };
}

export const SLUG_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'too-many-requests',
  503: 'service-unavailable',
};

/**
 * PostgreSQL and pool failures that mean "the database cannot serve now", not "bad request" — among
 * them a login the server refuses (class 28: wrong password, role gone or NOLOGIN; 3D000: database
 * gone; any FATAL, such as CONNECT revoked): a configuration or operator matter, never a bug.
 */
function isUnavailable(error: any): boolean {
  const code: string | undefined = error?.code ?? error?.driverError?.code;
  const message: string = error?.message ?? '';
  return (
    /^(08|28|53|57P)/.test(code ?? '') ||
    code === '3D000' ||
    (error?.severity ?? error?.driverError?.severity) === 'FATAL' ||
    code === '57014' || // statement timeout / cancelled
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    // TypeORM releases a runner whose connection reports an error; the request's next statement then finds it gone.
    error instanceof QueryRunnerAlreadyReleasedError ||
    /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i.test(message)
  );
}

/** Fastify's errors whose own message quotes the URL: a fixed sentence instead. */
const FRAMEWORK_DETAILS: Record<string, string> = {
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment is longer than the router accepts',
  FST_ERR_BAD_URL: 'The URL is not valid',
};

/**
 * The not-found handler's error (a request no route matched): 405 with Allow when the path exists
 * with other methods, else a 404 that does not quote the URL back.
 */
function unmatched(request: FastifyRequest): ProblemException {
  const allow = request.server.routeMethods?.allowed(request.url.split('?', 1)[0]) ?? [];
  if (allow.length === 0) return new ProblemException(404, 'not-found', 'Not Found', 'No route matches this URL');
  return new ProblemException(405, 'method-not-allowed', 'Method Not Allowed', `This URL answers ${allow.join(', ')}`, {}, { allow: allow.join(', ') });
}

/**
 * Turns any error into an RFC 9457 problem; 5xx never leaks internals. `contentType` is the
 * request's, named by a 415.
 */
export function toProblem(error: any, contentType?: string): { body: ProblemDetails; headers: Record<string, string> } {
  if (error instanceof ProblemException) return { body: error.toProblem(), headers: error.headers };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse() as any;
    const detail =
      status === 415
        ? unsupportedMediaTypeDetail(contentType)
        : typeof response === 'string' ? response : Array.isArray(response?.message) ? response.message.join('; ') : response?.message ?? error.message;
    return { body: problem(status, SLUG_BY_STATUS[status] ?? 'error', detail), headers: {} };
  }
  // Fastify's own errors (body parsing, size limit, media type) carry a 4xx statusCode.
  const statusCode = error?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const detail =
      FRAMEWORK_DETAILS[error.code] ??
      (statusCode === 413
        ? 'Request body is too large'
        : statusCode === 415
          ? unsupportedMediaTypeDetail(contentType)
          : String(error.message ?? '').replace(/^FST_\w+: /, ''));
    return { body: problem(statusCode, SLUG_BY_STATUS[statusCode] ?? 'bad-request', detail), headers: {} };
  }
  if (isUnavailable(error)) {
    return { body: problem(503, 'service-unavailable', 'The database is unavailable; retry shortly'), headers: { 'retry-after': '1' } };
  }
  const code: string | undefined = error?.code ?? error?.driverError?.code;
  if (code === '23505') return { body: problem(409, 'conflict', 'A resource with these unique values already exists'), headers: {} };
  if (code === '40001' || code === '40P01') return { body: problem(409, 'conflict', 'Concurrent update; retry the request'), headers: { 'retry-after': '1' } };
  if (code === '22P02' || code === '22003' || code === '23514' || code === '22001' || code === '22021' || code === '22P05') {
    return { body: problem(400, 'bad-request', 'A value is out of range or malformed'), headers: {} };
  }
  return { body: problem(500, 'internal-error', 'An unexpected error occurred'), headers: {} };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: unknown): void {
  const { body, headers } = toProblem(request.is404 && error instanceof NotFoundException ? unmatched(request) : error, request.headers['content-type']);
  // A streamed body (audit export) already sent its status line: the only honest signal left is a cut connection.
  if (reply.sent || reply.raw.headersSent) {
    request.log.error({ err: error }, 'failed after the response started');
    reply.raw.destroy();
    return;
  }
  // request.log carries request_id and, once identified, tenant_id.
  if (body.status === 503) request.log.warn({ err: (error as Error)?.message }, 'database unavailable');
  else if (body.status >= 500) request.log.error({ err: error }, 'request failed');
  reply
    .header('x-request-id', request.id)
    .status(body.status)
    .headers(headers)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(JSON.stringify({ ...body, request_id: request.id }));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), error);
  }
}
