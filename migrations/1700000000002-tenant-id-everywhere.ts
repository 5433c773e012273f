import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_TENANT_ID } from '../src/tenants/default-tenant.js';
import { PLANS } from '../src/tenants/plans.js';
import { column, foreignKeysOn, ident, indexesOn, primaryKey, sameColumns, uniqueConstraints } from './catalog.js';
import {
  addForeignKeyNotValid,
  buildIndexConcurrently,
  dropIndexConcurrently,
  inShortTransaction,
  setNotNull,
  validateConstraint,
  type ForeignKeySpec,
} from './short-locks.js';

const LEGACY_TABLES = ['accounts', 'transactions', 'fraud_alerts', 'system_logs'];

/** The single-tenant staff references of fraud_alerts: integer ids of users that have no tenant_users row. */
const LEGACY_STAFF_COLUMNS = { assignee_id: 'legacy_assignee_id', handled_by: 'legacy_handled_by' } as const;

const TENANT_KEYS: ForeignKeySpec[] = [
  { table: 'accounts', name: 'fk_accounts_tenant', columns: ['tenant_id'], referencedTable: 'tenants', referencedColumns: ['tenant_id'], onDelete: 'CASCADE' },
  { table: 'transactions', name: 'fk_transactions_tenant', columns: ['tenant_id'], referencedTable: 'tenants', referencedColumns: ['tenant_id'], onDelete: 'CASCADE' },
  { table: 'fraud_alerts', name: 'fk_alerts_tenant', columns: ['tenant_id'], referencedTable: 'tenants', referencedColumns: ['tenant_id'], onDelete: 'CASCADE' },
  { table: 'system_logs', name: 'fk_system_logs_tenant', columns: ['tenant_id'], referencedTable: 'tenants', referencedColumns: ['tenant_id'], onDelete: 'CASCADE' },
];

const STAFF_KEYS: ForeignKeySpec[] = [
  { table: 'fraud_alerts', name: 'fk_alerts_assignee', columns: ['tenant_id', 'assignee_id'], referencedTable: 'tenant_users', referencedColumns: ['tenant_id', 'id'] },
  { table: 'fraud_alerts', name: 'fk_alerts_handled_by', columns: ['tenant_id', 'handled_by'], referencedTable: 'tenant_users', referencedColumns: ['tenant_id', 'id'] },
];

/**
 * Each legacy table's primary key becomes (tenant_id, id); the single-tenant key another table had
 * on it (found by its columns) is replaced by one led by tenant_id.
 */
const PRIMARY_KEYS: { table: string; referencedBy?: { legacyColumns: string[]; key: ForeignKeySpec } }[] = [
  {
    table: 'accounts',
    referencedBy: {
      legacyColumns: ['account_id'],
      key: { table: 'transactions', name: 'fk_transactions_account', columns: ['tenant_id', 'account_id'], referencedTable: 'accounts', referencedColumns: ['tenant_id', 'id'] },
    },
  },
  {
    table: 'transactions',
    referencedBy: {
      legacyColumns: ['transaction_id'],
      key: { table: 'fraud_alerts', name: 'fk_alerts_transaction', columns: ['tenant_id', 'transaction_id'], referencedTable: 'transactions', referencedColumns: ['tenant_id', 'id'] },
    },
  },
  { table: 'fraud_alerts' },
  { table: 'system_logs' },
];

const UNIQUE_KEYS = [
  { table: 'accounts', legacyColumn: 'external_ref', name: 'accounts_tenant_external_ref_key' },
  { table: 'transactions', legacyColumn: 'external_id', name: 'transactions_tenant_external_id_key' },
];

/** The single-tenant secondary indexes (migration 0's, found by their columns), replaced by the ones below. */
const LEGACY_INDEXES = [
  { table: 'transactions', columns: ['txn_time DESC'] },
  { table: 'transactions', columns: ['account_id', 'txn_time DESC'] },
  { table: 'fraud_alerts', columns: ['handled'] },
];

const INDEXES = [
  { name: 'idx_accounts_tenant_id', table: 'accounts', definition: '(tenant_id, id)' },
  { name: 'idx_transactions_tenant_time', table: 'transactions', definition: '(tenant_id, txn_time DESC, id DESC)' },
  { name: 'idx_transactions_tenant_account_time', table: 'transactions', definition: '(tenant_id, account_id, txn_time DESC)' },
  { name: 'idx_alerts_tenant_handled', table: 'fraud_alerts', definition: '(tenant_id, handled)' },
  { name: 'idx_alerts_tenant_created', table: 'fraud_alerts', definition: '(tenant_id, created_at DESC, id DESC)' },
  { name: 'idx_alerts_tenant_transaction', table: 'fraud_alerts', definition: '(tenant_id, transaction_id)' },
  { name: 'idx_system_logs_tenant_time', table: 'system_logs', definition: '(tenant_id, created_at DESC)' },
];

/**
 * Migration 2: the seed's 002_add_tenant_id_to_tables.sql. Every legacy row belongs to the default
 * tenant; tenant_id then leads every primary key, unique constraint, foreign key and main index, so
 * the schema can later be distributed by tenant_id and a row can only reference rows of its own
 * tenant.
 *
 * It converts a live database with short locks, step by step (each step commits; see
 * short-locks.ts), which is why it runs outside a single transaction:
 * - tenant_id arrives with the default tenant as a constant default, which PostgreSQL ≥ 11 records
 *   in the catalog without rewriting a row; the default goes again at the end.
 * - NOT NULL, foreign keys: NOT VALID first, then VALIDATE, which lets reads and writes go on.
 * - Keys and indexes are built CONCURRENTLY, then attached (`… USING INDEX`) in an instant.
 * - The single-tenant keys and indexes it replaces are found by their columns, whatever they are
 *   called.
 * - fraud_alerts.assignee_id and handled_by held integer ids of the single-tenant installation's
 *   staff, who have no tenant_users row. They keep their values under the names legacy_assignee_id
 *   and legacy_handled_by (a rename: no row is rewritten), and new assignee_id and handled_by
 *   columns reference tenant_users. Nothing else in the single-tenant schema refers to staff.
 * Interrupted, it can be run again: every step checks the catalog for what is already done.
 */
export class TenantIdEverywhere1700000000002 implements MigrationInterface {
  name = 'TenantIdEverywhere1700000000002';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    // The default tenant: the plan the seed gives it, with that plan's limits and no trial end.
    const limits = PLANS.ENTERPRISE;
    await q.query(
      `INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_name, admin_email, plan, status, trial_ends_at,
                            max_users, max_transactions_per_month, max_storage_gb)
       VALUES ($1, 'Demo Organization', 'demo', 'Demo Admin', 'admin@demo.com', 'ENTERPRISE', 'ACTIVE', NULL, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [DEFAULT_TENANT_ID, limits.max_users, limits.max_transactions_per_month, limits.max_storage_gb],
    );

    // tenant_id, filled for every existing row by a constant default (catalog only). SET DEFAULT
    // restores the default when an interrupted run had already dropped it at its very end.
    for (const table of LEGACY_TABLES) {
      await inShortTransaction(
        q,
        `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS tenant_id varchar(64) DEFAULT '${DEFAULT_TENANT_ID}';
         ALTER TABLE ${table} ALTER COLUMN tenant_id SET DEFAULT '${DEFAULT_TENANT_ID}'`,
      );
    }
    for (const table of LEGACY_TABLES) await setNotNull(q, table, 'tenant_id');

    await inShortTransaction(q, async (q) => {
      for (const [legacy, kept] of Object.entries(LEGACY_STAFF_COLUMNS)) {
        if (await column(q, 'fraud_alerts', kept)) continue;
        await q.query(`ALTER TABLE fraud_alerts RENAME COLUMN ${legacy} TO ${kept}`);
        await q.query(`ALTER TABLE fraud_alerts ADD COLUMN ${legacy} integer`);
      }
      for (const key of STAFF_KEYS) await addForeignKeyNotValid(q, key);
    });

    for (const key of TENANT_KEYS) await inShortTransaction(q, (q) => addForeignKeyNotValid(q, key));

    for (const { table, referencedBy } of PRIMARY_KEYS) {
      const current = await primaryKey(q, table);
      if (!current || !sameColumns(current.columns, ['tenant_id', 'id'])) {
        const building = `${table}_tenant_pkey`;
        await buildIndexConcurrently(q, building, table, '(tenant_id, id)', true);
        await inShortTransaction(q, async (q) => {
          if (referencedBy) {
            for (const key of await foreignKeysOn(q, referencedBy.key.table, referencedBy.legacyColumns, table, ['id'])) {
              await q.query(`ALTER TABLE ${referencedBy.key.table} DROP CONSTRAINT ${ident(key.name)}`);
            }
          }
          const legacy = await primaryKey(q, table);
          if (legacy) await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${ident(legacy.name)}`);
          await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY USING INDEX ${building}`);
          if (referencedBy) await addForeignKeyNotValid(q, referencedBy.key);
        });
      }
      if (referencedBy) await inShortTransaction(q, (q) => addForeignKeyNotValid(q, referencedBy.key));
    }

    for (const { table, legacyColumn, name } of UNIQUE_KEYS) {
      if ((await uniqueConstraints(q, table, ['tenant_id', legacyColumn])).some((key) => key.name === name)) continue;
      await buildIndexConcurrently(q, name, table, `(tenant_id, ${legacyColumn})`, true);
      await inShortTransaction(q, async (q) => {
        for (const key of await uniqueConstraints(q, table, [legacyColumn])) {
          await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${ident(key.name)}`);
        }
        for (const index of await indexesOn(q, table, [legacyColumn])) {
          if (index.unique && !index.constraint) await q.query(`DROP INDEX ${ident(index.name)}`);
        }
        await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${name} UNIQUE USING INDEX ${name}`);
      });
    }

    const keys = [...STAFF_KEYS, ...TENANT_KEYS, ...PRIMARY_KEYS.flatMap(({ referencedBy }) => (referencedBy ? [referencedBy.key] : []))];
    for (const key of keys) await validateConstraint(q, key.table, key.name);

    for (const index of INDEXES) await buildIndexConcurrently(q, index.name, index.table, index.definition);
    for (const legacy of LEGACY_INDEXES) {
      for (const index of await indexesOn(q, legacy.table, legacy.columns)) {
        if (!index.unique && !index.constraint) await dropIndexConcurrently(q, ident(index.name));
      }
    }

    // From here on every writer names its tenant.
    for (const table of LEGACY_TABLES) await inShortTransaction(q, `ALTER TABLE ${table} ALTER COLUMN tenant_id DROP DEFAULT`);
  }

  /**
   * Back to the single-tenant schema, in one transaction (TypeORM reverts in one): the keys are
   * rebuilt under their locks. Only the default tenant's rows can go back; the new assignee_id and
   * handled_by (references to tenant_users, which migration 1 reverts) go, the legacy values
   * return to their original columns.
   */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM accounts WHERE tenant_id <> '${DEFAULT_TENANT_ID}')
           OR EXISTS (SELECT 1 FROM transactions WHERE tenant_id <> '${DEFAULT_TENANT_ID}')
           OR EXISTS (SELECT 1 FROM fraud_alerts WHERE tenant_id <> '${DEFAULT_TENANT_ID}')
           OR EXISTS (SELECT 1 FROM system_logs WHERE tenant_id <> '${DEFAULT_TENANT_ID}') THEN
          RAISE EXCEPTION 'cannot revert to the single-tenant schema: rows of tenants other than ${DEFAULT_TENANT_ID} exist';
        END IF;
      END $$;

      DROP INDEX idx_accounts_tenant_id, idx_transactions_tenant_time, idx_transactions_tenant_account_time,
        idx_alerts_tenant_handled, idx_alerts_tenant_created, idx_alerts_tenant_transaction,
        idx_system_logs_tenant_time;
      ALTER TABLE fraud_alerts DROP CONSTRAINT fk_alerts_transaction, DROP CONSTRAINT fk_alerts_assignee,
        DROP CONSTRAINT fk_alerts_handled_by, DROP CONSTRAINT fk_alerts_tenant, DROP CONSTRAINT fraud_alerts_pkey;
      ALTER TABLE transactions DROP CONSTRAINT fk_transactions_account, DROP CONSTRAINT fk_transactions_tenant,
        DROP CONSTRAINT transactions_tenant_external_id_key, DROP CONSTRAINT transactions_pkey;
      ALTER TABLE accounts DROP CONSTRAINT fk_accounts_tenant, DROP CONSTRAINT accounts_tenant_external_ref_key,
        DROP CONSTRAINT accounts_pkey;
      ALTER TABLE system_logs DROP CONSTRAINT fk_system_logs_tenant, DROP CONSTRAINT system_logs_pkey;

      ALTER TABLE fraud_alerts DROP COLUMN assignee_id, DROP COLUMN handled_by;
      ALTER TABLE fraud_alerts RENAME COLUMN legacy_assignee_id TO assignee_id;
      ALTER TABLE fraud_alerts RENAME COLUMN legacy_handled_by TO handled_by;

      ALTER TABLE accounts DROP COLUMN tenant_id, ADD PRIMARY KEY (id),
        ADD CONSTRAINT accounts_external_ref_key UNIQUE (external_ref);
      ALTER TABLE transactions DROP COLUMN tenant_id, ADD PRIMARY KEY (id),
        ADD CONSTRAINT transactions_external_id_key UNIQUE (external_id),
        ADD CONSTRAINT transactions_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
      ALTER TABLE fraud_alerts DROP COLUMN tenant_id, ADD PRIMARY KEY (id),
        ADD CONSTRAINT fraud_alerts_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES transactions (id);
      ALTER TABLE system_logs DROP COLUMN tenant_id, ADD PRIMARY KEY (id);
      CREATE INDEX idx_transactions_txn_time ON transactions (txn_time DESC);
      CREATE INDEX idx_transactions_account_time ON transactions (account_id, txn_time DESC);
      CREATE INDEX idx_fraud_alerts_handled ON fraud_alerts (handled);

      DELETE FROM tenants WHERE tenant_id = '${DEFAULT_TENANT_ID}';
    `);
  }
}
