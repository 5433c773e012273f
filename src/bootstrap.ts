import 'reflect-metadata';
import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyBaseLogger, type FastifyError, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { AppModule } from './app.module.js';
import { registerJsonBodyParser } from './common/json-body.js';
import { PROBLEM_BASE } from './common/problem.js';
import { sendProblem } from './common/problem.filter.js';
import { RouteMethods } from './common/route-methods.js';
import type { FraudGuardConfig } from './config/fraudguard.config.js';
import { HttpMetrics } from './observability/http-metrics.js';
import { createLogger, LazyChildLogger, PinoNestLogger } from './observability/logger.js';
import { setupOpenApi } from './openapi.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** X-Request-Id from the client when it is sane, else a fresh UUID. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** What both the served app and the OpenAPI generator need: routes as clients see them. */
export function configureApp(app: INestApplication): void {
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'health/ready', 'metrics'] });
}

/**
 * Requests Node's HTTP parser refuses before any route sees them (CR, LF or NUL inside a header
 * value, obs-fold, oversized headers): answered as problem+json with a request_id like every other
 * refusal, instead of Fastify's default plain JSON.
 */
function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const id = randomUUID();
  const body = JSON.stringify({
    type: `${PROBLEM_BASE}${status === 400 ? 'bad-request' : status === 431 ? 'headers-too-large' : 'request-timeout'}`,
    title: STATUS_CODES[status],
    status,
    detail: 'The request is not valid HTTP/1.1',
    request_id: id,
  });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Builds the HTTP application; main.ts and the tests share it, so tests exercise the real stack.
 * `extraModules` lets a test mount probe routes next to the real ones.
 */
export async function createApp(
  config: FraudGuardConfig,
  appDatabaseUrl: string,
  extraModules: Type[] = [],
  ownerDatabaseUrl = config.database.databaseUrl,
): Promise<NestFastifyApplication> {
  // One pino logger for Fastify (request-bound children carry request_id, then tenant_id) and Nest.
  // No per-request line at info: a debug line per response instead (see the onResponse hook).
  const logger = createLogger(config.app.logLevel);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestId,
    childLoggerFactory: (parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) =>
      new LazyChildLogger(parent as Logger, bindings, options) as unknown as FastifyBaseLogger,
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    trustProxy: config.app.trustProxy,
    clientErrorHandler,
    // What the router refuses before any hook runs (a path parameter over maxParamLength → 414, an
    // undecodable URL → 400): problem+json with a request_id, not Fastify's JSON quoting the URL.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendProblem(reply, request, error),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, appDatabaseUrl, extraModules, ownerDatabaseUrl), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // The JSON parser is ours (registerJsonBodyParser); Nest's would replace it at init.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Before any route exists (Swagger's, then Nest's at init): the 405s need every path's methods.
  RouteMethods.track(fastify);
  configureApp(app);
  setupOpenApi(app);

  registerJsonBodyParser(fastify);
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  const metrics = app.get(HttpMetrics);
  const debug = logger.isLevelEnabled('debug');
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (debug) request.log.debug({ method: request.method, route, status: reply.statusCode, duration_ms: reply.elapsedTime }, 'request completed');
  });

  await app.init();
  await fastify.ready();
  return app;
}
