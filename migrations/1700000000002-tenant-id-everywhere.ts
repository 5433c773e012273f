import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_TENANT_ID } from '../src/tenants/default-tenant.js';

/**
 * Migration 2: the seed's 002_add_tenant_id_to_tables.sql. Every legacy row is backfilled to the
 * default tenant before tenant_id becomes NOT NULL; then tenant_id is moved to the front of every
 * primary key, unique constraint, foreign key and main index, so the schema can later be
 * distributed by tenant_id and a row can only ever reference rows of its own tenant.
 */
export class TenantIdEverywhere1700000000002 implements MigrationInterface {
  name = 'TenantIdEverywhere1700000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE accounts ADD COLUMN IF NOT EXISTS tenant_id varchar(64);
      ALTER TABLE transactions ADD COLUMN IF NOT EXISTS tenant_id varchar(64);
      ALTER TABLE fraud_alerts ADD COLUMN IF NOT EXISTS tenant_id varchar(64);
      ALTER TABLE system_logs ADD COLUMN IF NOT EXISTS tenant_id varchar(64);

      INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_name, admin_email, plan)
      VALUES ('${DEFAULT_TENANT_ID}', 'Demo Organization', 'demo', 'Demo Admin', 'admin@demo.com', 'ENTERPRISE')
      ON CONFLICT DO NOTHING;

      UPDATE accounts SET tenant_id = '${DEFAULT_TENANT_ID}' WHERE tenant_id IS NULL;
      UPDATE transactions SET tenant_id = '${DEFAULT_TENANT_ID}' WHERE tenant_id IS NULL;
      UPDATE fraud_alerts SET tenant_id = '${DEFAULT_TENANT_ID}' WHERE tenant_id IS NULL;
      UPDATE system_logs SET tenant_id = '${DEFAULT_TENANT_ID}' WHERE tenant_id IS NULL;

      ALTER TABLE accounts ALTER COLUMN tenant_id SET NOT NULL;
      ALTER TABLE transactions ALTER COLUMN tenant_id SET NOT NULL;
      ALTER TABLE fraud_alerts ALTER COLUMN tenant_id SET NOT NULL;
      ALTER TABLE system_logs ALTER COLUMN tenant_id SET NOT NULL;

      ALTER TABLE accounts ADD CONSTRAINT fk_accounts_tenant
        FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id) ON DELETE CASCADE;
      ALTER TABLE transactions ADD CONSTRAINT fk_transactions_tenant
        FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id) ON DELETE CASCADE;
      ALTER TABLE fraud_alerts ADD CONSTRAINT fk_alerts_tenant
        FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id) ON DELETE CASCADE;
      ALTER TABLE system_logs ADD CONSTRAINT fk_system_logs_tenant
        FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id) ON DELETE CASCADE;

      -- Keys led by tenant_id: drop the single-tenant ones (dependants first), rebuild composite.
      ALTER TABLE fraud_alerts DROP CONSTRAINT fraud_alerts_transaction_id_fkey;
      ALTER TABLE transactions DROP CONSTRAINT transactions_account_id_fkey;
      ALTER TABLE fraud_alerts DROP CONSTRAINT fraud_alerts_pkey;
      ALTER TABLE transactions DROP CONSTRAINT transactions_pkey;
      ALTER TABLE accounts DROP CONSTRAINT accounts_pkey;
      ALTER TABLE system_logs DROP CONSTRAINT system_logs_pkey;
      ALTER TABLE accounts DROP CONSTRAINT accounts_external_ref_key;
      ALTER TABLE transactions DROP CONSTRAINT transactions_external_id_key;

      ALTER TABLE accounts ADD PRIMARY KEY (tenant_id, id);
      ALTER TABLE transactions ADD PRIMARY KEY (tenant_id, id);
      ALTER TABLE fraud_alerts ADD PRIMARY KEY (tenant_id, id);
      ALTER TABLE system_logs ADD PRIMARY KEY (tenant_id, id);
      ALTER TABLE accounts ADD CONSTRAINT accounts_tenant_external_ref_key UNIQUE (tenant_id, external_ref);
      ALTER TABLE transactions ADD CONSTRAINT transactions_tenant_external_id_key UNIQUE (tenant_id, external_id);

      ALTER TABLE transactions ADD CONSTRAINT fk_transactions_account
        FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id);
      ALTER TABLE fraud_alerts ADD CONSTRAINT fk_alerts_transaction
        FOREIGN KEY (tenant_id, transaction_id) REFERENCES transactions (tenant_id, id);
      ALTER TABLE fraud_alerts ADD CONSTRAINT fk_alerts_assignee
        FOREIGN KEY (tenant_id, assignee_id) REFERENCES tenant_users (tenant_id, id);
      ALTER TABLE fraud_alerts ADD CONSTRAINT fk_alerts_handled_by
        FOREIGN KEY (tenant_id, handled_by) REFERENCES tenant_users (tenant_id, id);

      DROP INDEX idx_transactions_txn_time;
      DROP INDEX idx_transactions_account_time;
      DROP INDEX idx_fraud_alerts_handled;
      CREATE INDEX idx_accounts_tenant_id ON accounts (tenant_id, id);
      CREATE INDEX idx_transactions_tenant_time ON transactions (tenant_id, txn_time DESC, id DESC);
      CREATE INDEX idx_transactions_tenant_account_time ON transactions (tenant_id, account_id, txn_time DESC);
      CREATE INDEX idx_alerts_tenant_handled ON fraud_alerts (tenant_id, handled);
      CREATE INDEX idx_alerts_tenant_created ON fraud_alerts (tenant_id, created_at DESC, id DESC);
      CREATE INDEX idx_alerts_tenant_transaction ON fraud_alerts (tenant_id, transaction_id);
      CREATE INDEX idx_system_logs_tenant_time ON system_logs (tenant_id, created_at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
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
