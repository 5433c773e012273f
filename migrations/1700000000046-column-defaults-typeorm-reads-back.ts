import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Seven column defaults restated in the form that TypeORM reads back as it writes it, so that its
 * schema diff between the entities and a migrated database is empty
 * (test/database/entities.e2e-spec.ts). The values do not change:
 *
 * - `CURRENT_TIMESTAMP` and `now()` are the same function (the transaction's start time).
 *   PostgreSQL prints a `CURRENT_TIMESTAMP` default as `CURRENT_TIMESTAMP`, but TypeORM 1.1 renders
 *   an entity's `CURRENT_TIMESTAMP` as `now()` and compares defaults in lower case outside quotes,
 *   so no entity can match a default that says `CURRENT_TIMESTAMP`.
 * - The scopes array is the same three scopes. TypeORM strips casts from the default it reads, and on
 *   `ARRAY['…'::text]` that also drops the closing bracket; an array literal reads back whole.
 *
 * Catalog-only changes: no row is rewritten, each lock is held for an instant.
 */
export class ColumnDefaultsTypeormReadsBack1700000000046 implements MigrationInterface {
  name = 'ColumnDefaultsTypeormReadsBack1700000000046';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenants ALTER COLUMN created_at SET DEFAULT now(), ALTER COLUMN updated_at SET DEFAULT now(),
        ALTER COLUMN trial_ends_at SET DEFAULT (now() + interval '14 days');
      ALTER TABLE tenant_users ALTER COLUMN created_at SET DEFAULT now(), ALTER COLUMN updated_at SET DEFAULT now();
      ALTER TABLE tenant_api_keys ALTER COLUMN created_at SET DEFAULT now(),
        ALTER COLUMN scopes SET DEFAULT '{read:transactions,write:transactions,read:alerts}';
      ALTER TABLE audit_logs ALTER COLUMN timestamp SET DEFAULT now();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_logs ALTER COLUMN timestamp SET DEFAULT CURRENT_TIMESTAMP;
      ALTER TABLE tenant_api_keys ALTER COLUMN created_at SET DEFAULT CURRENT_TIMESTAMP,
        ALTER COLUMN scopes SET DEFAULT ARRAY['read:transactions', 'write:transactions', 'read:alerts'];
      ALTER TABLE tenant_users ALTER COLUMN created_at SET DEFAULT CURRENT_TIMESTAMP, ALTER COLUMN updated_at SET DEFAULT CURRENT_TIMESTAMP;
      ALTER TABLE tenants ALTER COLUMN created_at SET DEFAULT CURRENT_TIMESTAMP, ALTER COLUMN updated_at SET DEFAULT CURRENT_TIMESTAMP,
        ALTER COLUMN trial_ends_at SET DEFAULT (CURRENT_TIMESTAMP + INTERVAL '14 days');
    `);
  }
}
