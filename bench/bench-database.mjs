/**
 * The benchmark's database: created on the server of DATABASE_URL, migrated by the migrations of
 * the build it is for (the working tree, or an A/B ref's worktree: `build` is that build's folder,
 * whose dist/ is imported), filled as the owner with generate_series, and one API key per tenant
 * minted for the run (plaintext only in memory).
 *
 * The seed writes only columns and tables that every build since the multi-tenant schema has
 * (tenants, accounts, transactions, tenant_api_keys; the monthly usage row when that table exists),
 * so the same seed serves two builds whose migrations differ; what a build adds has its defaults, and
 * each build's own migration rebuilds the scoring profiles from the seeded rows.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { appPassword, benchDatabases, BUSY_ACCOUNTS, databaseUrl, root, settings, timed, withClient } from './harness.mjs';

export const BIG_TENANT = 'benchbig-00001';
/** One busy tenant, and ten tenants that share the same load between them. */
export const BUSY_TENANT = 'benchbusy-00001';
export const SPREAD_TENANTS = Array.from({ length: 10 }, (_, i) => `benchspread-${String(i + 1).padStart(5, '0')}`);

async function importFrom(build, module) {
  const file = path.join(build, 'dist', module);
  if (!existsSync(file)) throw new Error(`the build in ${build} has no dist/${module}, which the bench seeds its database with`);
  return import(pathToFileURL(file).href);
}

/** Creates (unless BENCH_REUSE=1 finds it), migrates and seeds `database`; mints the run's keys. */
export async function prepareDatabase(serverUrl, database = settings.database, build = root) {
  const url = databaseUrl(serverUrl, database);
  benchDatabases.add(database);
  const exists = await withClient(serverUrl, async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount > 0);
  if (exists && settings.reuse) {
    console.log(`reusing database ${database}`);
  } else {
    await withClient(serverUrl, async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    });
    const { createOwnerDataSource } = await importFrom(build, 'src/database/data-source.js');
    const owner = createOwnerDataSource(url);
    await owner.initialize();
    await owner.runMigrations({ transaction: 'each' });
    await owner.destroy();
    await timed(`${database}: seeded ${settings.tenants} tenants × ${settings.txns} transactions + 1 tenant × ${settings.bigTxns} + ${1 + SPREAD_TENANTS.length} busy-load tenants × ${settings.txns}`,
      () => seed(url, build));
  }
  const { generateApiKey } = await importFrom(build, 'src/api-keys/api-key.token.js');
  // The app role's URL serves the working tree's ceiling and PostGraphile, never another build.
  const { appRoleUrl } = await importFrom(root, 'src/config/database.config.js');
  const { readDeploymentRoles } = await importFrom(root, 'src/database/roles.js');
  // Keys are stored hashed: mint fresh ones for this run (plaintext only in memory).
  return withClient(url, async (client) => {
    const { rows } = await client.query(
      `SELECT t.tenant_id, (SELECT a.id FROM accounts a WHERE a.tenant_id = t.tenant_id AND a.external_ref = 'acc-1') AS account_id,
              (SELECT count(*) FROM transactions x WHERE x.tenant_id = t.tenant_id)::int AS rows
         FROM tenants t WHERE t.tenant_id LIKE 'bench%' ORDER BY t.tenant_id`,
    );
    const issued = rows.map((row) => ({ tenantId: row.tenant_id, accountId: row.account_id, rows: row.rows, ...generateApiKey() }));
    await client.query(`DELETE FROM tenant_api_keys WHERE tenant_id LIKE 'bench%'`);
    await client.query(
      `INSERT INTO tenant_api_keys (tenant_id, key_name, key_hash, key_prefix, scopes, rate_limit_per_minute)
       SELECT t, 'bench', h, p, ARRAY['read:transactions', 'write:transactions', 'read:alerts', 'read:accounts', 'write:accounts'], 100000000
         FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) AS k(t, h, p)`,
      [issued.map((k) => k.tenantId), issued.map((k) => k.hash), issued.map((k) => k.prefix)],
    );
    const tenants = issued.filter((k) => k.tenantId.startsWith('bench-'));
    const big = issued.find((k) => k.tenantId === BIG_TENANT);
    const busy = issued.find((k) => k.tenantId === BUSY_TENANT);
    const spread = issued.filter((k) => SPREAD_TENANTS.includes(k.tenantId));
    if (!big || !busy || spread.length !== SPREAD_TENANTS.length || tenants.length === 0) {
      throw new Error(`database ${database} lacks the bench tenants: drop it or unset BENCH_REUSE`);
    }
    // The app role the database records (fg_<database>_app; fraudguard_app when an older build migrated it).
    const { app } = await readDeploymentRoles(client);
    return { database, ownerUrl: url, appUrl: appRoleUrl(url, app, appPassword), tenants, big, busy, spread };
  });
}

/** Whether the build that migrated the database stores account_ref on transactions (an older one, A in an A/B run, does not). */
async function hasAccountRef(client) {
  const { rows } = await client.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'transactions' AND column_name = 'account_ref'`);
  return rows.length > 0;
}

async function seedTenantTransactions(client, tenantId, count, accounts) {
  const accountRef = (await hasAccountRef(client)) ? ['account_ref, ', 'a.external_ref, '] : ['', ''];
  await client.query(
    `INSERT INTO transactions (tenant_id, account_id, ${accountRef[0]}external_id, amount, currency, merchant, merchant_category, country,
                               device_id, txn_time, status, risk_score, risk_level, reasons, created_at)
     SELECT a.tenant_id, a.id, ${accountRef[1]}'seed-' || i, 5 + ((i::bigint * 7919) % 20000) / 100.0, 'EUR', 'Merchant ' || (i % 40),
            (ARRAY['5411', '5812', '5999', '4111', '7995'])[1 + i % 5], a.country, 'device-' || (i % 3),
            now() - (i * interval '61 seconds'), 'APPROVED', 0, 'LOW', '[]', now()
       FROM generate_series(1, $2) i
       JOIN accounts a ON a.tenant_id = $1 AND a.external_ref = 'acc-' || (1 + i % $3)`,
    [tenantId, count, accounts],
  );
}

async function seed(url, build) {
  const busyTenants = [BUSY_TENANT, ...SPREAD_TENANTS];
  await withClient(url, async (client) => {
    await client.query('SET synchronous_commit = off');
    // Quotas far above any run (the monthly quota is enforced); keys get a lifted per-key rate limit.
    await client.query(
      `INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_email, plan, max_transactions_per_month)
       SELECT 'bench-' || lpad(g::text, 5, '0'), 'Bench ' || g, 'bench-' || g, 'admin@bench-' || g || '.example', 'ENTERPRISE', 2000000000
         FROM generate_series(1, $1) g
       UNION ALL
       SELECT $2, 'Bench big', 'benchbig', 'admin@benchbig.example', 'ENTERPRISE', 2000000000
       UNION ALL
       SELECT b, 'Bench ' || b, b, 'admin@' || b || '.example', 'ENTERPRISE', 2000000000 FROM unnest($3::varchar[]) b`,
      [settings.tenants, BIG_TENANT, busyTenants],
    );
    await client.query(
      `INSERT INTO accounts (tenant_id, external_ref, holder_name, country)
       SELECT t.tenant_id, 'acc-' || a, 'Holder ' || a, (ARRAY['DE', 'FR', 'GB', 'US', 'NL'])[1 + a % 5]
         FROM tenants t CROSS JOIN generate_series(1, CASE WHEN t.tenant_id = ANY($2::varchar[]) THEN $3::int ELSE $1::int END) a
        WHERE t.tenant_id LIKE 'bench%'`,
      [settings.accounts, busyTenants, BUSY_ACCOUNTS],
    );
    // One statement per tenant keeps each transaction (and its WAL) moderate.
    const { rows: tenants } = await client.query(`SELECT tenant_id FROM tenants WHERE tenant_id LIKE 'bench-%' ORDER BY tenant_id`);
    for (const { tenant_id } of tenants) await seedTenantTransactions(client, tenant_id, settings.txns, settings.accounts);
    for (const tenantId of busyTenants) await seedTenantTransactions(client, tenantId, settings.txns, BUSY_ACCOUNTS);
    await timed(`  big tenant ${BIG_TENANT}: ${settings.bigTxns} transactions`, () => seedTenantTransactions(client, BIG_TENANT, settings.bigTxns, settings.accounts));
    // Rows inserted behind the app's back: the accounts' scoring profiles are rebuilt from them, by
    // the build's own statement (its profile format).
    const profiles = path.join(build, 'dist/migrations/1700000000041-account-profiles.js');
    if (existsSync(profiles)) {
      const { REBUILD_ACCOUNT_PROFILES } = await import(pathToFileURL(profiles).href);
      await timed('  account profiles', () => client.query(REBUILD_ACCOUNT_PROFILES));
    } else {
      console.log(`  ${path.relative(root, profiles)} not in this build: account profiles not rebuilt`);
    }
    const { rows: [{ usage }] } = await client.query(`SELECT to_regclass('public.tenant_monthly_usage') IS NOT NULL AS usage`);
    if (usage) {
      // Replaced, not upserted: the same statements fit a one-row-per-month key and the slotted one
      // (migration 0060, where the row lands in slot 0, the column's default).
      await client.query(`DELETE FROM tenant_monthly_usage WHERE tenant_id LIKE 'bench%'`);
      await client.query(
        `INSERT INTO tenant_monthly_usage (tenant_id, month, transactions)
         SELECT tenant_id, (date_trunc('month', now() AT TIME ZONE 'UTC'))::date, count(*) FROM transactions
          WHERE tenant_id LIKE 'bench%' GROUP BY tenant_id`,
      );
    }
    // What autovacuum would do after a bulk load: set the visibility map and hint bits, collect statistics.
    await client.query('VACUUM (ANALYZE)');
  });
}

/** The tables the systems write to during the scenarios (those of them that exist in a build's schema). */
export const WRITTEN_TABLES = ['transactions', 'accounts', 'account_profiles', 'fraud_alerts', 'audit_logs', 'tenant_monthly_usage', 'tenant_api_keys'];

/**
 * A server with autovacuum off (this machine's is) never cleans the rows the scenarios update: the
 * scoring profiles, the quota counters, the keys' last use. Their dead versions would pile up from
 * one scenario to the next and slow whichever system runs later. In that case every scenario starts
 * from a vacuumed database, as it would with autovacuum's defaults (a pass a minute).
 */
export async function vacuumer(db) {
  const { autovacuum, tables } = await withClient(db.ownerUrl, async (client) => ({
    autovacuum: (await client.query('SHOW autovacuum')).rows[0].autovacuum,
    tables: (await client.query(`SELECT t FROM unnest($1::text[]) t WHERE to_regclass('public.' || t) IS NOT NULL`, [WRITTEN_TABLES])).rows.map((row) => row.t),
  }));
  if (autovacuum === 'on') return { autovacuum, vacuum: async () => {} };
  return { autovacuum, vacuum: () => withClient(db.ownerUrl, (client) => client.query(`VACUUM (ANALYZE) ${tables.join(', ')}`)) };
}
