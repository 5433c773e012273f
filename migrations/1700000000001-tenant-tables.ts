import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Migration 1: the seed's 001_add_tenants.sql — tenants, tenant_users, tenant_api_keys, audit_logs,
 * their defaults, CHECKs, indexes and updated_at triggers. Deliberate differences (DESIGN.md):
 * no plaintext tenants.api_key (keys live hashed in tenant_api_keys), timestamptz instead of
 * timestamp, and tenant_id leading every primary key and foreign key.
 */
export class TenantTables1700000000001 implements MigrationInterface {
  name = 'TenantTables1700000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        tenant_id                  varchar(64) PRIMARY KEY DEFAULT gen_random_uuid()::text,
        organization_name          varchar(255) NOT NULL,
        subdomain                  varchar(64) UNIQUE NOT NULL,
        plan                       varchar(32) NOT NULL DEFAULT 'STARTER',
        status                     varchar(32) NOT NULL DEFAULT 'ACTIVE',
        settings                   jsonb DEFAULT '{}',
        ml_config                  jsonb DEFAULT '{"risk_threshold": 0.7, "auto_block": false, "notification_email": null}',
        max_users                  integer DEFAULT 5,
        max_transactions_per_month integer DEFAULT 50000,
        max_storage_gb             integer DEFAULT 10,
        stripe_customer_id         varchar(128),
        billing_email              varchar(255),
        created_at                 timestamptz DEFAULT CURRENT_TIMESTAMP,
        updated_at                 timestamptz DEFAULT CURRENT_TIMESTAMP,
        trial_ends_at              timestamptz DEFAULT (CURRENT_TIMESTAMP + INTERVAL '14 days'),
        admin_name                 varchar(255),
        admin_email                varchar(255) NOT NULL UNIQUE,
        admin_phone                varchar(32),
        CONSTRAINT plan_check CHECK (plan IN ('STARTER', 'PROFESSIONAL', 'ENTERPRISE')),
        CONSTRAINT status_check CHECK (status IN ('ACTIVE', 'SUSPENDED', 'TRIAL', 'CANCELLED'))
      );
      CREATE INDEX idx_tenants_subdomain ON tenants (subdomain);
      CREATE INDEX idx_tenants_status ON tenants (status);

      CREATE TABLE tenant_users (
        id              serial,
        tenant_id       varchar(64) NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        email           varchar(255) NOT NULL,
        password_hash   varchar(255) NOT NULL,
        full_name       varchar(255),
        role            varchar(32) NOT NULL DEFAULT 'ANALYST',
        sso_provider    varchar(32),
        sso_id          varchar(255),
        mfa_enabled     boolean DEFAULT FALSE,
        mfa_secret      varchar(128),
        is_active       boolean DEFAULT TRUE,
        email_verified  boolean DEFAULT FALSE,
        last_login      timestamptz,
        created_at      timestamptz DEFAULT CURRENT_TIMESTAMP,
        updated_at      timestamptz DEFAULT CURRENT_TIMESTAMP,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, email),
        CONSTRAINT role_check CHECK (role IN ('ADMIN', 'MANAGER', 'ANALYST', 'VIEWER'))
      );
      CREATE INDEX idx_tenant_users_tenant ON tenant_users (tenant_id);
      CREATE INDEX idx_tenant_users_email ON tenant_users (email);
      CREATE INDEX idx_tenant_users_active ON tenant_users (tenant_id, is_active);

      CREATE TABLE tenant_api_keys (
        id                     serial,
        tenant_id              varchar(64) NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        key_name               varchar(128) NOT NULL,
        key_hash               varchar(128) NOT NULL UNIQUE,
        key_prefix             varchar(16) NOT NULL,
        scopes                 text[] DEFAULT ARRAY['read:transactions', 'write:transactions', 'read:alerts'],
        rate_limit_per_minute  integer DEFAULT 100,
        is_active              boolean DEFAULT TRUE,
        expires_at             timestamptz,
        last_used_at           timestamptz,
        created_at             timestamptz DEFAULT CURRENT_TIMESTAMP,
        created_by             integer,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, created_by) REFERENCES tenant_users (tenant_id, id)
      );
      CREATE INDEX idx_api_keys_tenant ON tenant_api_keys (tenant_id);
      CREATE INDEX idx_api_keys_hash ON tenant_api_keys (key_hash);

      CREATE TABLE audit_logs (
        id             bigserial,
        tenant_id      varchar(64) NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        user_id        integer,
        action         varchar(64) NOT NULL,
        resource_type  varchar(64),
        resource_id    varchar(128),
        ip_address     inet,
        user_agent     text,
        request_id     varchar(128),
        old_value      jsonb,
        new_value      jsonb,
        timestamp      timestamptz DEFAULT CURRENT_TIMESTAMP,
        severity       varchar(16) DEFAULT 'INFO',
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, id)
      );
      CREATE INDEX idx_audit_tenant_time ON audit_logs (tenant_id, timestamp DESC);
      CREATE INDEX idx_audit_resource ON audit_logs (tenant_id, resource_type, resource_id);

      CREATE OR REPLACE FUNCTION update_updated_at_column()
      RETURNS trigger AS $$
      BEGIN
        NEW.updated_at = CURRENT_TIMESTAMP;
        RETURN NEW;
      END;
      $$ LANGUAGE plpgsql;

      CREATE TRIGGER update_tenants_updated_at
        BEFORE UPDATE ON tenants
        FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

      CREATE TRIGGER update_tenant_users_updated_at
        BEFORE UPDATE ON tenant_users
        FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE audit_logs, tenant_api_keys, tenant_users, tenants;
      DROP FUNCTION update_updated_at_column();
    `);
  }
}
