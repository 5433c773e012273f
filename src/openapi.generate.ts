/**
 * `npm run openapi`: writes ./openapi.json from the controllers' decorators. Nest's preview mode
 * builds the module graph without instantiating providers, so no database is needed; the drift
 * test (test/openapi) compares the served document with the committed file.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppModule } from './app.module.js';
import { configureApp } from './bootstrap.js';
import { loadConfig } from './config/fraudguard.config.js';
import { buildOpenApiDocument, serialiseOpenApi } from './openapi.js';

/** Never connected to: preview mode does not instantiate providers. */
const PREVIEW_URL = 'postgres://preview@127.0.0.1/preview';

async function generate(): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, PREVIEW_URL, [], PREVIEW_URL), new FastifyAdapter(), {
    preview: true,
    logger: false,
  });
  configureApp(app);
  const target = path.resolve(process.argv[2] ?? 'openapi.json');
  writeFileSync(target, serialiseOpenApi(buildOpenApiDocument(app)));
  await app.close();
  process.stdout.write(`wrote ${target}\n`);
}

generate().catch((error) => {
  process.stderr.write(`openapi generation failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
