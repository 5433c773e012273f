import 'reflect-metadata';
import { LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { AppModule } from './app.module.js';
import { registerJsonBodyParser } from './common/json-body.js';
import { PROBLEM_BASE } from './common/problem.js';
import type { AppConfig } from './config/app.config.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** X-Request-Id from the client when it is sane, else a fresh UUID. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
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

const NEST_LOG_LEVELS: Record<string, LogLevel[]> = {
  silent: [],
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/**
 * Builds the HTTP application; main.ts and the tests share it, so tests exercise the real stack.
 * `extraModules` lets a test mount probe routes next to the real ones.
 */
export async function createApp(
  config: AppConfig,
  appDatabaseUrl: string,
  extraModules: Type[] = [],
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    genReqId: requestId,
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    trustProxy: config.trustProxy,
    clientErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, appDatabaseUrl, extraModules), adapter, {
    logger: NEST_LOG_LEVELS[config.logLevel],
    abortOnError: false,
    // The JSON parser is ours (registerJsonBodyParser); Nest's would replace it at init.
    bodyParser: false,
  });
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'health/ready'] });

  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParser(fastify);
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.init();
  await fastify.ready();
  return app;
}
