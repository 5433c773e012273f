import type { MigrationInterface, QueryRunner } from 'typeorm';
import { foreignKeys } from './catalog.js';
import { addForeignKeyNotValid, inShortTransaction, validateConstraint, type ForeignKeySpec } from './short-locks.js';

/**
 * A transaction's tenant is already guaranteed by its account: the foreign key
 * (tenant_id, account_id) → accounts (tenant_id, id) holds the tenant_id, and accounts.tenant_id
 * references tenants. The second, direct key transactions.tenant_id → tenants checked the same thing
 * again on every inserted row — a lookup and a tuple lock each, half the cost of the foreign-key
 * checks of a 1,000-row batch. It goes; the account key cascades instead, so deleting a tenant still
 * removes its accounts, their transactions and (through fk_alerts_tenant) their alerts.
 */
export class TransactionsReachTenantThroughAccount1700000000043 implements MigrationInterface {
  name = 'TransactionsReachTenantThroughAccount1700000000043';
  // The cascading key is validated outside a transaction, so transactions keep taking writes
  // during the scan; then it takes the old key's place in an instant (short-locks.ts).
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    const cascading: ForeignKeySpec = {
      table: 'transactions', name: 'fk_transactions_account_cascade', columns: ['tenant_id', 'account_id'],
      referencedTable: 'accounts', referencedColumns: ['tenant_id', 'id'], onDelete: 'CASCADE',
    };
    const current = (await foreignKeys(q, 'transactions', 'accounts')).find((key) => key.name === 'fk_transactions_account');
    if (current?.onDelete !== 'c') {
      await inShortTransaction(q, (q) => addForeignKeyNotValid(q, cascading));
      await validateConstraint(q, 'transactions', cascading.name);
      await inShortTransaction(
        q,
        `ALTER TABLE transactions DROP CONSTRAINT IF EXISTS fk_transactions_account;
         ALTER TABLE transactions RENAME CONSTRAINT ${cascading.name} TO fk_transactions_account`,
      );
    }
    await inShortTransaction(q, `ALTER TABLE transactions DROP CONSTRAINT IF EXISTS fk_transactions_tenant`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE transactions ADD CONSTRAINT fk_transactions_tenant FOREIGN KEY (tenant_id)
        REFERENCES tenants (tenant_id) ON DELETE CASCADE;
      ALTER TABLE transactions DROP CONSTRAINT fk_transactions_account;
      ALTER TABLE transactions ADD CONSTRAINT fk_transactions_account FOREIGN KEY (tenant_id, account_id)
        REFERENCES accounts (tenant_id, id);
    `);
  }
}
