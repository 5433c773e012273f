import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedRoles, readDeploymentRoles } from '../src/database/roles.js';
import { tableExists } from './catalog.js';
import { protectTenantTable, unprotectTenantTable } from './row-level-security.js';
import { inShortTransaction } from './short-locks.js';

/**
 * Rebuilds every account's scoring profile from its stored transactions (as the owner, across
 * tenants): what scoring.ts's addToHistory would have accumulated over the account's latest 500,
 * within the same bounds (100 times; the 50 / 200 / 50 most recently used countries, merchants,
 * devices, least recent first). For this migration, and for data loaded behind the app's back
 * (the benchmark's seeding).
 */
const rebuildAccountProfiles = (accounts: string) => `
  UPDATE account_profiles p SET profile = r.profile, updated_at = now()
    FROM (
      SELECT a.tenant_id, a.id AS account_id, h.profile
        FROM ${accounts} a
        CROSS JOIN LATERAL (
          WITH recent AS MATERIALIZED (
            SELECT amount, currency, country, merchant, device_id, txn_time FROM transactions t
             WHERE t.tenant_id = a.tenant_id AND t.account_id = a.id
             ORDER BY txn_time DESC LIMIT 500)
          SELECT jsonb_build_object(
                   'count', c.n,
                   'amounts', (SELECT jsonb_object_agg(currency, jsonb_build_object('count', n, 'mean', mean))
                                 FROM (SELECT currency, count(*) AS n, avg(amount)::float8 AS mean FROM recent GROUP BY currency) g),
                   'times', (SELECT jsonb_agg(ms)
                               FROM (SELECT extract(epoch FROM txn_time)::float8 * 1000 AS ms FROM recent ORDER BY txn_time DESC LIMIT 100) t),
                   'countries', (SELECT coalesce(jsonb_agg(v ORDER BY last), '[]') FROM (
                                   SELECT country::text AS v, max(txn_time) AS last FROM recent WHERE country IS NOT NULL
                                    GROUP BY country ORDER BY last DESC LIMIT 50) x),
                   'merchants', (SELECT jsonb_agg(v ORDER BY last) FROM (
                                   SELECT merchant::text AS v, max(txn_time) AS last FROM recent
                                    GROUP BY merchant ORDER BY last DESC LIMIT 200) x),
                   'devices', (SELECT coalesce(jsonb_agg(v ORDER BY last), '[]') FROM (
                                 SELECT device_id::text AS v, max(txn_time) AS last FROM recent WHERE device_id IS NOT NULL
                                  GROUP BY device_id ORDER BY last DESC LIMIT 50) x)) AS profile
            FROM (SELECT count(*)::int AS n FROM recent) c
           WHERE c.n > 0) h
    ) r
   WHERE p.tenant_id = r.tenant_id AND p.account_id = r.account_id`;

/** Every account's profile in one statement (the benchmark's seeding). */
export const REBUILD_ACCOUNT_PROFILES = rebuildAccountProfiles('accounts');

/** The same for one batch of accounts: the next `$3` after ($1, $2) in key order; answers the batch's last key. */
const REBUILD_ACCOUNT_PROFILES_BATCH = `
  WITH batch AS MATERIALIZED (
    SELECT tenant_id, id FROM accounts WHERE (tenant_id, id) > ($1::varchar, $2::uuid) ORDER BY tenant_id, id LIMIT $3),
  rebuilt AS (${rebuildAccountProfiles('batch')} RETURNING 1)
  SELECT tenant_id, id::text FROM batch ORDER BY tenant_id DESC, id DESC LIMIT 1`;

const PROFILE_BATCH = 2_000;

/** The trigger function's body, spaced as the schema has always stored it (its text is part of the schema). */
const PROFILE_CREATED_BODY = `
        BEGIN
          INSERT INTO public.account_profiles (tenant_id, account_id) VALUES (NEW.tenant_id, NEW.id);
          RETURN NULL;
        END
        `;

/**
 * account_profiles: one row per account, what scoring knows of the account's past (usual amount
 * per currency, latest transaction times, countries, merchants and devices seen), kept up to date by
 * every ingest. Scoring reads one row per account instead of aggregating its latest hundreds of
 * transactions on every request, and the ingest locks that row (FOR UPDATE) until it commits, so two
 * ingests for one account are scored one after the other, each seeing the other's transaction.
 *
 * A trigger gives every new account its (empty) profile, whoever inserts the account, so the row to
 * lock always exists. Existing accounts are backfilled from their transactions.
 */
export class AccountProfiles1700000000041 implements MigrationInterface {
  name = 'AccountProfiles1700000000041';
  // The backfill reads every account's transactions: in batches, each committed on its own, so
  // neither accounts nor transactions wait for it (short-locks.ts).
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    const { owner, app } = quotedRoles(roles);
    // The table and the trigger first, in an instant: every account inserted from then on gets its
    // profile from the trigger, every older one from the backfill below.
    if (!(await tableExists(q, 'account_profiles'))) {
      await inShortTransaction(q, async (q) => {
        await q.query(`
          CREATE TABLE account_profiles (
            tenant_id   varchar(64) NOT NULL,
            account_id  uuid NOT NULL,
            profile     jsonb NOT NULL DEFAULT '{}',
            updated_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, account_id),
            CONSTRAINT fk_account_profiles_account FOREIGN KEY (tenant_id, account_id)
              REFERENCES accounts (tenant_id, id) ON DELETE CASCADE
          );
          CREATE FUNCTION fg_account_profile_created() RETURNS trigger
            LANGUAGE plpgsql
            AS $fn$${PROFILE_CREATED_BODY}$fn$;
          ALTER FUNCTION fg_account_profile_created() OWNER TO ${owner};
          REVOKE EXECUTE ON FUNCTION fg_account_profile_created() FROM PUBLIC;
          GRANT EXECUTE ON FUNCTION fg_account_profile_created() TO ${app};
          CREATE TRIGGER accounts_profile AFTER INSERT ON accounts
            FOR EACH ROW EXECUTE FUNCTION fg_account_profile_created();
        `);
        await q.query(protectTenantTable('account_profiles', 'SELECT, INSERT, UPDATE', roles));
      });
    }
    await q.query(`INSERT INTO account_profiles (tenant_id, account_id) SELECT tenant_id, id FROM accounts ON CONFLICT DO NOTHING`);
    // The rebuild is deterministic, so a re-run after an interruption simply does it again.
    let after: [string, string] = ['', '00000000-0000-0000-0000-000000000000'];
    for (;;) {
      const [last]: { tenant_id: string; id: string }[] = await q.query(REBUILD_ACCOUNT_PROFILES_BATCH, [...after, PROFILE_BATCH]);
      if (!last) break;
      after = [last.tenant_id, last.id];
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const roles = await readDeploymentRoles(q);
    await q.query(unprotectTenantTable('account_profiles', roles));
    await q.query(`
      DROP TRIGGER accounts_profile ON accounts;
      DROP FUNCTION fg_account_profile_created();
      DROP TABLE account_profiles;
    `);
  }
}
