import 'reflect-metadata';
import { INestApplication, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app.config.js';
import { setupOpenApi } from './openapi.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** X-Request-Id from the client when it is sane, else a fresh UUID. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
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

/** What both the served app and the OpenAPI generator need: routes as clients see them. */
export function configureApp(app: INestApplication): void {
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'health/ready'] });
}

/**
 * Builds the HTTP application; main.ts and the tests share it, so tests exercise the real stack.
 * `extraModules` lets a test mount probe routes next to the real ones.
 */
export async function createApp(
  config: AppConfig,
  appDatabaseUrl: string,
  extraModules: Type[] = [],
  ownerDatabaseUrl = config.databaseUrl,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    genReqId: requestId,
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    trustProxy: config.trustProxy,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, appDatabaseUrl, extraModules, ownerDatabaseUrl), adapter, {
    logger: NEST_LOG_LEVELS[config.logLevel],
    abortOnError: false,
  });
  configureApp(app);
  setupOpenApi(app);

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.init();
  await fastify.ready();
  return app;
}
