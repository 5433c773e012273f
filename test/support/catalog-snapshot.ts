import { createHash } from 'node:crypto';
import pg from 'pg';
import { recordedRoles } from '../../src/database/roles.js';
import { withClient } from './test-database.js';

/**
 * The schema of `public` as the catalog describes it: tables (columns in order, types, NOT NULL,
 * defaults, row security, storage options, owner, grants), constraints (with definitions and
 * whether validated), indexes (definitions, validity), triggers, policies, functions and sequences.
 * Two databases with equal snapshots have the same schema.
 *
 * `hideHandMadeNames` leaves out what a hand-made single-tenant schema may name its own way and
 * the conversion keeps: CHECK constraint names, and which sequence system_logs.id draws from.
 *
 * The database's own roles (named after it) appear as `<owner>`, `<app>` and `<platform>`, so a
 * database compares equal to a template clone, whose roles are the template's.
 */
export async function catalogSnapshot(url: string, options: { hideHandMadeNames?: boolean } = {}): Promise<Record<string, string[]>> {
  const hide = options.hideHandMadeNames ?? false;
  return withClient(url, async (client: pg.Client) => {
    const roles = await recordedRoles(client);
    const generic = (text: string) =>
      roles ? text.split(roles.platform).join('<platform>').split(roles.owner).join('<owner>').split(roles.app).join('<app>') : text;
    const lines = async (sql: string) => (await client.query(sql)).rows.map((row) => generic(Object.values(row).join(' | ')));
    return {
      tables: await lines(`
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, c.reloptions::text, pg_get_userbyid(c.relowner), c.relacl::text
          FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1`),
      columns: await lines(`
        SELECT c.relname, row_number() OVER (PARTITION BY c.relname ORDER BY a.attnum), a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               ${hide ? `regexp_replace(pg_get_expr(d.adbin, d.adrelid), '^nextval\\(.*\\)$', 'nextval(…)')` : 'pg_get_expr(d.adbin, d.adrelid)'}
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY 1, 2`),
      constraints: await lines(`
        SELECT conrelid::regclass::text, contype, ${hide ? `CASE WHEN contype = 'c' THEN '' ELSE conname END` : 'conname'},
               pg_get_constraintdef(oid), convalidated
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2, 4, 3`),
      indexes: await lines(`
        SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid), indisvalid
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1`),
      triggers: await lines(`
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
          JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal ORDER BY 1, 2`),
      policies: await lines(`SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`),
      functions: (
        await client.query(`
          SELECT p.oid::regprocedure::text, pg_get_userbyid(p.proowner), p.prosecdef, p.proconfig::text, p.proacl::text, p.prosrc
            FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`)
      ).rows.map(({ prosrc, ...row }) => generic([...Object.values(row), createHash('md5').update(generic(prosrc)).digest('hex')].join(' | '))),
      sequences: hide
        ? []
        : await lines(`SELECT c.relname, pg_get_userbyid(c.relowner), c.relacl::text FROM pg_class c
                         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' ORDER BY 1`),
    };
  });
}
