import { getTransactionHostToken, TransactionHost } from '@nestjs-cls/transactional';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import type { DataSource } from 'typeorm';
import { PlatformDatabaseModule } from '../../src/database/platform-database.module.js';
import { PLATFORM_CONNECTION, type PlatformTransactionAdapter } from '../../src/database/platform-transaction.adapter.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

describe("the platform role: the operators' cross-tenant role", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('cannot log in, bypasses RLS, and the app role can never become it', async () => {
    await withClient(db.ownerUrl, async (c) => {
      const { rows } = await c.query(`SELECT rolcanlogin, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = '${db.roles.platform}'`);
      expect(rows).toEqual([{ rolcanlogin: false, rolbypassrls: true, rolsuper: false }]);
      const member = await c.query(`SELECT pg_has_role('${db.roles.app}', '${db.roles.platform}', 'MEMBER') AS member`);
      expect(member.rows[0].member).toBe(false);
    });
    await withClient(db.appUrl, async (c) => {
      await expect(c.query(`SET ROLE ${db.roles.platform}`)).rejects.toThrow(/permission denied/);
    });
  });

  it('reads across tenants but cannot edit or delete audit rows, nor change the schema', async () => {
    await withClient(db.ownerUrl, async (c) => {
      await c.query('BEGIN');
      await c.query(`SET LOCAL ROLE ${db.roles.platform}`);
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM tenants`);
      expect(rows[0].n).toBeGreaterThanOrEqual(1); // no tenant set, yet rows are visible
      await expect(c.query(`UPDATE audit_logs SET action = 'x'`)).rejects.toThrow(/permission denied/);
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await c.query(`SET LOCAL ROLE ${db.roles.platform}`);
      await expect(c.query(`DELETE FROM audit_logs`)).rejects.toThrow(/permission denied/);
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await c.query(`SET LOCAL ROLE ${db.roles.platform}`);
      await expect(c.query(`ALTER TABLE tenants ADD COLUMN x int`)).rejects.toThrow(/must be owner/);
      await c.query('ROLLBACK');
    });
  });

  it("is what the platform door's transactions run as: the tenant set when given, READ ONLY when asked, nothing outside one", async () => {
    @Module({ imports: [ClsModule.forRoot({ global: true }), PlatformDatabaseModule.forRoot(db.ownerUrl)] })
    class PlatformProbeModule {}
    const app = await NestFactory.createApplicationContext(PlatformProbeModule, { logger: false });
    try {
      const txHost = app.get<TransactionHost<PlatformTransactionAdapter>>(getTransactionHostToken(PLATFORM_CONNECTION));
      const session = () =>
        txHost.tx
          .query(`SELECT current_user AS role, current_setting('app.current_tenant', true) AS tenant, current_setting('transaction_read_only') AS read_only`)
          .then((rows: unknown[]) => rows[0]);
      expect(await txHost.withTransaction(session)).toEqual({ role: db.roles.platform, tenant: null, read_only: 'off' });
      expect(await txHost.withTransaction({ tenantId: 'tenant-x', readOnly: true }, session)).toEqual({ role: db.roles.platform, tenant: 'tenant-x', read_only: 'on' });
      expect(() => txHost.tx).toThrow(/No platform transaction is active/);
      // The role and the tenant ended with their transactions: the pooled connection is the owner's again.
      const dataSource = app.get<DataSource>(getDataSourceToken(PLATFORM_CONNECTION));
      const [after] = await dataSource.query(`SELECT current_user AS role, current_setting('app.current_tenant', true) AS tenant`);
      expect(after.role).toBe(new URL(db.ownerUrl).username);
      expect(after.tenant ?? '').toBe('');
    } finally {
      await app.close();
    }
  });
});
