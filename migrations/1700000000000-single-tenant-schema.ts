import type { MigrationInterface, QueryRunner } from 'typeorm';

const LEGACY_TABLES = ['accounts', 'transactions', 'fraud_alerts', 'system_logs'];

/**
 * Migration 0: the original single-tenant FraudGuard schema, before any tenant existed.
 * Kept so that a real single-tenant database can be upgraded by replaying 1–3 on top of it: such a
 * database already has these tables, and start-up records this migration as its
 * baseline instead of running it (src/database/legacy-adoption.ts).
 */
export class SingleTenantSchema1700000000000 implements MigrationInterface {
  name = 'SingleTenantSchema1700000000000';

  async up(q: QueryRunner): Promise<void> {
    const [{ found }] = await q.query(
      `SELECT array_remove(ARRAY[${LEGACY_TABLES.map((table) => `to_regclass('public.${table}')::text`).join(', ')}], NULL) AS found`,
    );
    if (found.length) {
      throw new Error(
        `the database already has single-tenant FraudGuard tables (${found.join(', ')}) but no record of this migration: ` +
          'start the server (npm start), which adopts such a database before converting it (docs/upgrading.md)',
      );
    }
    await q.query(`
      CREATE TABLE accounts (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        external_ref  varchar(128) NOT NULL UNIQUE,
        holder_name   varchar(255),
        country       char(2),
        status        varchar(16) NOT NULL DEFAULT 'ACTIVE',
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT accounts_status_check CHECK (status IN ('ACTIVE', 'FROZEN', 'CLOSED')),
        CONSTRAINT accounts_country_check CHECK (country ~ '^[A-Z]{2}$')
      );

      CREATE TABLE transactions (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id         uuid NOT NULL REFERENCES accounts(id),
        external_id        varchar(128) UNIQUE,
        amount             numeric(18, 4) NOT NULL,
        currency           char(3) NOT NULL,
        merchant           varchar(255) NOT NULL,
        merchant_category  char(4),
        country            char(2),
        ip_address         inet,
        device_id          varchar(128),
        txn_time           timestamptz NOT NULL DEFAULT now(),
        status             varchar(16) NOT NULL DEFAULT 'APPROVED',
        risk_score         numeric(5, 4),
        risk_level         varchar(16),
        reasons            jsonb NOT NULL DEFAULT '[]',
        scoring_config     jsonb,
        metadata           jsonb,
        created_at         timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT transactions_amount_check CHECK (amount > 0),
        CONSTRAINT transactions_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
        CONSTRAINT transactions_status_check CHECK (status IN ('APPROVED', 'REVIEW', 'BLOCKED')),
        CONSTRAINT transactions_risk_score_check CHECK (risk_score BETWEEN 0 AND 1),
        CONSTRAINT transactions_risk_level_check CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL'))
      );
      CREATE INDEX idx_transactions_txn_time ON transactions (txn_time DESC);
      CREATE INDEX idx_transactions_account_time ON transactions (account_id, txn_time DESC);

      CREATE TABLE fraud_alerts (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        transaction_id  uuid NOT NULL REFERENCES transactions(id),
        severity        varchar(16) NOT NULL,
        risk_score      numeric(5, 4) NOT NULL,
        reasons         jsonb NOT NULL DEFAULT '[]',
        handled         boolean NOT NULL DEFAULT false,
        resolution      varchar(32),
        note            text,
        assignee_id     integer,
        handled_by      integer,
        handled_at      timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fraud_alerts_severity_check CHECK (severity IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL'))
      );
      CREATE INDEX idx_fraud_alerts_handled ON fraud_alerts (handled);

      CREATE TABLE system_logs (
        id          bigserial PRIMARY KEY,
        level       varchar(16) NOT NULL DEFAULT 'INFO',
        source      varchar(64),
        message     text NOT NULL,
        context     jsonb,
        created_at  timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  /** Drops the tables only while they are empty: a reverted conversion leaves the data where it was. */
  async down(q: QueryRunner): Promise<void> {
    const [{ rows }] = await q.query(
      `SELECT ${LEGACY_TABLES.map((table) => `(SELECT count(*) FROM (SELECT 1 FROM ${table} LIMIT 1) x)`).join(' + ')} AS rows`,
    );
    if (Number(rows) > 0) throw new Error('the single-tenant tables hold data: not dropping them (drop them by hand if that is meant)');
    await q.query(`DROP TABLE system_logs, fraud_alerts, transactions, accounts`);
  }
}
