import pg from 'pg';
import { seedTenant } from '../support/fixtures.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';
import { sealNow } from '../support/audit-seal.js';

/** The catalog proves the database rules of DESIGN.md hold for every table, present and future. */
describe('database catalog', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('forces row-level security with a policy on every table that holds tenant data', async () => {
    await withClient(db.ownerUrl, async (client) => {
      const { rows } = await client.query(`
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int AS policies
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND (c.relname = 'tenants' OR EXISTS (
                 SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
         ORDER BY c.relname`);
      const names = rows.map((row) => row.relname);
      for (const table of ['accounts', 'audit_logs', 'fraud_alerts', 'system_logs', 'tenant_api_keys', 'tenant_users', 'tenants', 'transactions']) {
        expect(names).toContain(table);
      }
      for (const row of rows) {
        expect({ table: row.relname, enabled: row.relrowsecurity, forced: row.relforcerowsecurity, hasPolicy: row.policies > 0 }).toEqual({
          table: row.relname,
          enabled: true,
          forced: true,
          hasPolicy: true,
        });
      }
    });
  });

  it('has no policy that admits rows when no tenant is set, and every policy checks writes', async () => {
    await withClient(db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname = 'public'`);
      expect(rows.length).toBeGreaterThanOrEqual(8);
      for (const row of rows) {
        expect(`${row.qual} ${row.with_check}`).not.toMatch(/IS NULL/i);
        expect(row.qual).toMatch(/current_setting\('app\.current_tenant'::text, true\)/);
        expect(row.with_check).toMatch(/current_setting\('app\.current_tenant'::text, true\)/);
      }
    });
  });

  it('runs the app as a role that is not superuser, cannot bypass RLS and owns nothing', async () => {
    await withClient(db.ownerUrl, async (client) => {
      const role = await client.query(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = '${db.roles.app}'`);
      expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
      const owned = await client.query(`
        SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
         WHERE r.rolname = '${db.roles.app}'`);
      expect(owned.rows).toEqual([]);
      const tableOwners = await client.query(`
        SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`);
      expect(tableOwners.rows).toEqual([{ tableowner: db.roles.owner }]);
      const settings = await client.query(`
        SELECT unnest(setconfig) AS setting FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
         WHERE r.rolname = '${db.roles.app}'`);
      const names = settings.rows.map((row) => row.setting.split('=')[0]);
      expect(names).toEqual(expect.arrayContaining(['statement_timeout', 'idle_in_transaction_session_timeout']));
    });
  });

  it('keeps audit_logs append-only for the app role', async () => {
    await withClient(db.ownerUrl, async (client) => {
      const { rows } = await client.query(`
        SELECT has_table_privilege('${db.roles.app}', 'audit_logs', 'INSERT') AS can_insert,
               has_table_privilege('${db.roles.app}', 'audit_logs', 'SELECT') AS can_select,
               has_table_privilege('${db.roles.app}', 'audit_logs', 'UPDATE') AS can_update,
               has_table_privilege('${db.roles.app}', 'audit_logs', 'DELETE') AS can_delete,
               has_table_privilege('${db.roles.app}', 'audit_logs', 'TRUNCATE') AS can_truncate`);
      expect(rows[0]).toEqual({ can_insert: true, can_select: true, can_update: false, can_delete: false, can_truncate: false });
    });
    await withClient(db.appUrl, async (client) => {
      await expect(client.query(`UPDATE audit_logs SET action = 'x'`)).rejects.toThrow(/permission denied/);
      await expect(client.query(`DELETE FROM audit_logs`)).rejects.toThrow(/permission denied/);
    });
  });

  it('exposes only narrow SECURITY DEFINER functions: pinned search_path, not executable by PUBLIC', async () => {
    await withClient(db.ownerUrl, async (client) => {
      const { rows } = await client.query(`
        SELECT p.proname, r.rolname AS owner, p.proconfig,
               has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute,
               has_function_privilege('${db.roles.app}', p.oid, 'EXECUTE') AS app_can_execute
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner
         WHERE n.nspname = 'public' AND p.prosecdef`);
      expect(rows.length).toBeGreaterThanOrEqual(3);
      for (const row of rows) {
        expect(row.owner).toBe(db.roles.owner);
        expect(row.proconfig).toEqual(['search_path=pg_catalog, public, pg_temp']);
        expect(row.public_can_execute).toBe(false);
        expect(row.app_can_execute).toBe(true);
      }
      const setCurrentTenant = await client.query(`SELECT 1 FROM pg_proc WHERE proname = 'set_current_tenant'`);
      expect(setCurrentTenant.rowCount).toBe(0);
    });
  });

  it('stamps and chains audit rows with an inlined hash, whatever search_path the writer set', async () => {
    await withClient(db.ownerUrl, async (client) => {
      // No SET clause: a function with one is never inlined, and is re-planned in every transaction.
      const functions = await client.query(`SELECT proname, proconfig FROM pg_proc WHERE proname IN ('fg_audit_hash', 'fg_audit_chain') ORDER BY proname`);
      expect(functions.rows).toEqual([
        { proname: 'fg_audit_chain', proconfig: null },
        { proname: 'fg_audit_hash', proconfig: null },
      ]);
      const plan = await client.query(`EXPLAIN (VERBOSE) SELECT public.fg_audit_hash(a) FROM public.audit_logs a`);
      const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toContain('sha256');
      expect(text).not.toContain('fg_audit_hash');
    });
    const { tenantId } = await seedTenant(db.ownerUrl);
    const audit = (client: pg.Client, action: string) =>
      client.query(`INSERT INTO public.audit_logs (tenant_id, action, resource_type) VALUES ($1, $2, 'probe')`, [tenantId, action]);
    const inTenant = (work: (client: pg.Client) => Promise<unknown>) =>
      withClient(db.appUrl, async (client) => {
        await client.query('BEGIN');
        await client.query(`SELECT set_config('app.current_tenant', $1, true)`, [tenantId]);
        await work(client);
        await client.query('COMMIT');
      });
    await inTenant((client) => audit(client, 'probe.first'));
    // A new session, so the trigger is planned with the shadows in place. With the default
    // search_path, temporary tables and types are found before public's and even pg_catalog's: a
    // temporary audit_logs must not steer the chain, nor a temporary type named text, with casts
    // to it, change what gets hashed.
    await inTenant(async (client) => {
      await client.query(`CREATE TEMP TABLE audit_logs (tenant_id varchar, id bigint, hash char(64)) ON COMMIT DROP`);
      await client.query(`INSERT INTO pg_temp.audit_logs VALUES ($1, 9223372036854775807, repeat('f', 64))`, [tenantId]);
      await client.query(`CREATE TEMP TABLE text (v pg_catalog.text) ON COMMIT DROP`);
      await client.query(`CREATE FUNCTION pg_temp.forge(jsonb) RETURNS pg_temp.text LANGUAGE sql AS $$ SELECT ROW('["forged"]')::pg_temp.text $$`);
      await client.query(`CREATE FUNCTION pg_temp.back(pg_temp.text) RETURNS pg_catalog.text LANGUAGE sql AS $$ SELECT ($1).v $$`);
      await client.query(`CREATE CAST (jsonb AS pg_temp.text) WITH FUNCTION pg_temp.forge(jsonb)`);
      await client.query(`CREATE CAST (pg_temp.text AS pg_catalog.text) WITH FUNCTION pg_temp.back(pg_temp.text) AS IMPLICIT`);
      await audit(client, 'probe.second');
      // The trigger ran in this session too: the row is stamped with this transaction, and unsealed.
      const [row] = (await client.query(`SELECT txid = pg_current_xact_id()::pg_catalog.text::pg_catalog.int8 AS own, hash FROM public.audit_logs WHERE action = 'probe.second'`)).rows;
      expect(row).toEqual({ own: true, hash: null });
    });
    expect(await sealNow(db.appUrl, tenantId)).toBe(2);
    await withClient(db.ownerUrl, async (client) => {
      const { rows } = await client.query(
        `SELECT action, prev_hash, hash, hash = public.fg_audit_hash(a) AS verifies FROM public.audit_logs a WHERE tenant_id = $1 ORDER BY seq`,
        [tenantId],
      );
      expect(rows.map((row) => [row.action, row.verifies])).toEqual([['probe.first', true], ['probe.second', true]]);
      expect(rows[0].prev_hash).toBeNull();
      expect(rows[1].prev_hash).toBe(rows[0].hash);
    });
  });

  it('leads every foreign key with tenant_id, and deleting a tenant removes every row it had', async () => {
    await withClient(db.ownerUrl, async (client) => {
      const keys = await client.query(`
        SELECT c.conrelid::regclass::text AS "table", c.conname,
               (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[1]) AS first_column
          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE c.contype = 'f' AND n.nspname = 'public'`);
      for (const key of keys.rows) expect({ key: key.conname, first: key.first_column }).toEqual({ key: key.conname, first: 'tenant_id' });

      await client.query(`INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_email) VALUES ('doomed', 'Doomed', 'doomed', 'a@doomed.example')`);
      const account = await client.query(`INSERT INTO accounts (tenant_id, external_ref) VALUES ('doomed', 'a') RETURNING id`);
      const txn = await client.query(
        `INSERT INTO transactions (tenant_id, account_id, amount, currency, merchant, status) VALUES ('doomed', $1, 1, 'EUR', 'M', 'REVIEW') RETURNING id`,
        [account.rows[0].id],
      );
      await client.query(`INSERT INTO fraud_alerts (tenant_id, transaction_id, severity, risk_score) VALUES ('doomed', $1, 'HIGH', 0.9)`, [txn.rows[0].id]);
      await client.query(`DELETE FROM tenants WHERE tenant_id = 'doomed'`);
      const left = await client.query(`
        SELECT (SELECT count(*) FROM accounts WHERE tenant_id = 'doomed') + (SELECT count(*) FROM account_profiles WHERE tenant_id = 'doomed')
             + (SELECT count(*) FROM transactions WHERE tenant_id = 'doomed') + (SELECT count(*) FROM fraud_alerts WHERE tenant_id = 'doomed') AS n`);
      expect(Number(left.rows[0].n)).toBe(0);
    });
  });
});
