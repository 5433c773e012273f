import type { QueryRunner } from 'typeorm';

/**
 * Catalog look-ups that find keys, constraints and indexes by what they are (table, kind, columns),
 * never by name: a database created by hand long ago names its primary key `pk_accounts` as readily
 * as `accounts_pkey`. Index columns are written `name` or `name DESC`. Tables are in `public`.
 */

/** Something that can run a query: a migration's QueryRunner, a DataSource or an EntityManager. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

export interface ConstraintInfo {
  name: string;
  columns: string[];
  validated: boolean;
}

export interface ForeignKeyInfo extends ConstraintInfo {
  referencedTable: string;
  referencedColumns: string[];
  /** pg_constraint.confdeltype: 'a' no action, 'c' cascade, … */
  onDelete: string;
}

export interface IndexInfo {
  name: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
  valid: boolean;
  partial: boolean;
  /** An index with an expression column lists only its plain columns here. */
  expressions: boolean;
  /** The constraint this index backs (primary key, unique, exclusion), if any. */
  constraint: string | null;
}

const COLUMNS_OF = (attrelid: string, keys: string) => `
  ARRAY(SELECT a.attname::text FROM unnest(${keys}) WITH ORDINALITY k(attnum, ord)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = ${attrelid} AND a.attnum = k.attnum ORDER BY k.ord)`;

function relation(table: string): string {
  return `public.${table}`;
}

export function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column, i) => column === b[i]);
}

/** Constraints of `table` of one kind: 'p' primary key, 'u' unique, 'c' check, 'f' foreign key. */
export async function constraints(q: Queryable, table: string, kind: 'p' | 'u' | 'c' | 'f'): Promise<ConstraintInfo[]> {
  const rows: { name: string; columns: string[]; validated: boolean }[] = await q.query(
    `SELECT c.conname::text AS name, ${COLUMNS_OF('c.conrelid', 'c.conkey')} AS columns, c.convalidated AS validated
       FROM pg_catalog.pg_constraint c
      WHERE c.conrelid = pg_catalog.to_regclass($1) AND c.contype = $2
      ORDER BY c.conname`,
    [relation(table), kind],
  );
  return rows;
}

export async function primaryKey(q: Queryable, table: string): Promise<ConstraintInfo | undefined> {
  return (await constraints(q, table, 'p'))[0];
}

/** Unique constraints of `table` on exactly `columns`. */
export async function uniqueConstraints(q: Queryable, table: string, columns: readonly string[]): Promise<ConstraintInfo[]> {
  return (await constraints(q, table, 'u')).filter((constraint) => sameColumns(constraint.columns, columns));
}

/** Foreign keys of `table`, optionally only those to `referencedTable`. */
export async function foreignKeys(q: Queryable, table: string, referencedTable?: string): Promise<ForeignKeyInfo[]> {
  const rows: ForeignKeyInfo[] = await q.query(
    `SELECT c.conname::text AS name, ${COLUMNS_OF('c.conrelid', 'c.conkey')} AS columns, c.convalidated AS validated,
            r.relname::text AS "referencedTable", ${COLUMNS_OF('c.confrelid', 'c.confkey')} AS "referencedColumns",
            c.confdeltype::text AS "onDelete"
       FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_class r ON r.oid = c.confrelid
      WHERE c.conrelid = pg_catalog.to_regclass($1) AND c.contype = 'f'
      ORDER BY c.conname`,
    [relation(table)],
  );
  return referencedTable === undefined ? rows : rows.filter((key) => key.referencedTable === referencedTable);
}

/** Foreign keys from `table (columns)` to `referencedTable (referencedColumns)`. */
export async function foreignKeysOn(
  q: Queryable,
  table: string,
  columns: readonly string[],
  referencedTable: string,
  referencedColumns: readonly string[],
): Promise<ForeignKeyInfo[]> {
  return (await foreignKeys(q, table, referencedTable)).filter(
    (key) => sameColumns(key.columns, columns) && sameColumns(key.referencedColumns, referencedColumns),
  );
}

/** Foreign keys of any table that reference `table`. */
export async function referencingForeignKeys(q: Queryable, table: string): Promise<(ForeignKeyInfo & { table: string })[]> {
  return q.query(
    `SELECT t.relname::text AS "table", c.conname::text AS name, ${COLUMNS_OF('c.conrelid', 'c.conkey')} AS columns,
            c.convalidated AS validated, r.relname::text AS "referencedTable",
            ${COLUMNS_OF('c.confrelid', 'c.confkey')} AS "referencedColumns", c.confdeltype::text AS "onDelete"
       FROM pg_catalog.pg_constraint c
       JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
       JOIN pg_catalog.pg_class r ON r.oid = c.confrelid
      WHERE c.confrelid = pg_catalog.to_regclass($1) AND c.contype = 'f'
      ORDER BY t.relname, c.conname`,
    [relation(table)],
  );
}

/** Every index of `table`. */
export async function indexes(q: Queryable, table: string): Promise<IndexInfo[]> {
  return q.query(
    `SELECT ci.relname::text AS name,
            ARRAY(SELECT a.attname::text || CASE WHEN (i.indoption[k.ord - 1] & 1) = 1 THEN ' DESC' ELSE '' END
                    FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   WHERE k.ord <= i.indnkeyatts
                   ORDER BY k.ord) AS columns,
            i.indisunique AS unique, i.indisprimary AS primary, i.indisvalid AS valid,
            i.indpred IS NOT NULL AS partial, i.indexprs IS NOT NULL AS expressions,
            (SELECT c.conname::text FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                AND c.contype IN ('p', 'u', 'x') LIMIT 1) AS constraint
       FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ci ON ci.oid = i.indexrelid
      WHERE i.indrelid = pg_catalog.to_regclass($1)
      ORDER BY ci.relname`,
    [relation(table)],
  );
}

/** Plain indexes (no predicate, no expression) of `table` on exactly `columns`, with or without UNIQUE. */
export async function indexesOn(q: Queryable, table: string, columns: readonly string[]): Promise<IndexInfo[]> {
  return (await indexes(q, table)).filter((index) => !index.partial && !index.expressions && sameColumns(index.columns, columns));
}

/** An index by name: its state, or undefined when there is none. */
export async function indexNamed(q: Queryable, name: string): Promise<{ table: string; valid: boolean } | undefined> {
  const rows: { table: string; valid: boolean }[] = await q.query(
    `SELECT t.relname::text AS "table", i.indisvalid AS valid
       FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
      WHERE i.indexrelid = pg_catalog.to_regclass($1)`,
    [relation(name)],
  );
  return rows[0];
}

export async function constraintNamed(q: Queryable, table: string, name: string): Promise<{ kind: string; validated: boolean } | undefined> {
  const rows: { kind: string; validated: boolean }[] = await q.query(
    `SELECT contype::text AS kind, convalidated AS validated FROM pg_catalog.pg_constraint
      WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2`,
    [relation(table), name],
  );
  return rows[0];
}

export async function tableExists(q: Queryable, table: string): Promise<boolean> {
  const [row] = await q.query(`SELECT pg_catalog.to_regclass($1) IS NOT NULL AS present`, [relation(table)]);
  return row.present;
}

/** A column's NOT NULL flag and default, or undefined when the column does not exist. */
export async function column(q: Queryable, table: string, name: string): Promise<{ notNull: boolean; default: string | null } | undefined> {
  const rows: { notNull: boolean; default: string | null }[] = await q.query(
    `SELECT a.attnotnull AS "notNull", pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_catalog.pg_attribute a
       LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
    [relation(table), name],
  );
  return rows[0];
}

/**
 * The sequence a column's default draws from: the one it owns (serial, identity) or, for a
 * default written by hand as nextval('some_sequence'), the one that default depends on.
 * Returned as a quoted, schema-qualified name fit for SQL.
 */
export async function columnSequence(q: Queryable, table: string, name: string): Promise<string | undefined> {
  const rows: { sequence: string }[] = await q.query(
    `SELECT s.oid::regclass::text AS sequence
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_depend d ON (d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.classid = 'pg_catalog.pg_class'::regclass
                                       AND d.deptype IN ('a', 'i'))
       JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
      WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2
     UNION ALL
     SELECT s.oid::regclass::text
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
       JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid
                                  AND d.refclassid = 'pg_catalog.pg_class'::regclass
       JOIN pg_catalog.pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
      WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2`,
    [relation(table), name],
  );
  return rows[0]?.sequence;
}

/** A name as a quoted SQL identifier: names found in the catalog may need quoting. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
