import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/app.config.js';
import { prepareDatabase } from './database/database-startup.js';
import { issueDemoApiKey } from './tenants/demo-api-key.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new Logger('FraudGuard');
  const base = `http://localhost:${config.port}`;
  const database = await prepareDatabase(config, async (owner) => {
    const demoKey = config.demoApiKey ? await issueDemoApiKey(owner) : undefined;
    // Printed as soon as it exists: the key is stored only as a hash, so this is its one showing.
    if (demoKey) {
      process.stdout.write(
        `\n  Demo tenant "default-tenant-001" API key (shown once, keep it):\n\n    ${demoKey}\n\n` +
          `  Try: curl -H 'X-API-Key: ${demoKey}' ${base}/api/v1/tenants/me\n\n`,
      );
    }
  });
  const app = await createApp(config, database.appUrl, [], database.ownerUrl);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ port: config.port, host: config.host });
  logger.log(`FraudGuard listening on ${base}`);
  let stopping = false;
  const stopDatabase = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await database.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stopDatabase);
  process.once('SIGINT', stopDatabase);
}

main().catch((error) => {
  const message = error instanceof ConfigError ? error.message : error?.stack ?? String(error);
  process.stderr.write(`FraudGuard failed to start: ${message}\n`);
  process.exit(1);
});
