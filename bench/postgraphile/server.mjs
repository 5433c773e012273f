// PostGraphile 5 over FraudGuard's own tables, as the app role, under the same row-level security:
// the nearest real peer for the benchmark. The API key is resolved exactly as FraudGuard does it
// (SHA-256, fg_api_key_lookup, in-process cache) and becomes app.current_tenant through pgSettings,
// which PostGraphile applies with set_config(…, true) inside each request's transaction.
//   APP_DATABASE_URL=postgres://fg_db_app:…@127.0.0.1:5432/db PORT=3002 npm run serve
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const url = process.env.APP_DATABASE_URL;
const port = Number(process.env.PORT ?? 3002);
const poolSize = Number(process.env.DB_POOL_SIZE ?? 10);
if (!url) throw new Error('APP_DATABASE_URL is required');

const lookupPool = new pg.Pool({ connectionString: url, max: 2 });
const cache = new Map();

async function tenantFor(key) {
  if (typeof key !== 'string') return undefined;
  const hash = createHash('sha256').update(key).digest('hex');
  const hit = cache.get(hash);
  if (hit && hit.expires > Date.now()) return hit.tenantId;
  const { rows } = await lookupPool.query('SELECT tenant_id, is_active FROM fg_api_key_lookup($1)', [hash]);
  const tenantId = rows[0]?.is_active ? rows[0].tenant_id : undefined;
  cache.set(hash, { tenantId, expires: Date.now() + 30_000 });
  return tenantId;
}

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      pool: new pg.Pool({ connectionString: url, max: poolSize }),
      schemas: ['public'],
      pubsub: false,
    }),
  ],
  grafast: {
    async context(requestContext) {
      const tenantId = await tenantFor(requestContext.node?.req?.headers['x-api-key']);
      // No tenant → empty setting → RLS shows nothing, as in FraudGuard.
      return { pgSettings: { 'app.current_tenant': tenantId ?? '' } };
    },
    explain: false,
  },
  grafserv: { port, graphqlPath: '/graphql', graphiql: false, watch: false, maxRequestLength: 1_000_000 },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.once('listening', () => process.stdout.write(`postgraphile listening on ${port}\n`));
serv.addTo(server).catch((error) => {
  console.error(error);
  process.exit(1);
});
server.listen(port, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    server.close();
    await pgl.release();
    await lookupPool.end();
    process.exit(0);
  });
}
