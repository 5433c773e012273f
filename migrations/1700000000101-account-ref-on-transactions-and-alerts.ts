import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedRoles, readDeploymentRoles, type DeploymentRoles } from '../src/database/roles.js';
import { column, constraintNamed } from './catalog.js';
import { inShortTransaction, setNotNull } from './short-locks.js';

/** Rows per backfill batch, each batch committed on its own. */
const BATCH = 5_000;

/** The next batch of `table`'s rows after ($1, $2) in key order whose copy is missing, filled; answers the batch's last key. */
const BACKFILL_TRANSACTIONS = `
  WITH batch AS MATERIALIZED (
    SELECT tenant_id, id FROM transactions WHERE (tenant_id, id) > ($1::varchar, $2::uuid) ORDER BY tenant_id, id LIMIT $3),
  filled AS (
    UPDATE transactions t SET account_ref = a.external_ref
      FROM batch b, accounts a
     WHERE t.tenant_id = b.tenant_id AND t.id = b.id AND t.account_ref IS NULL
       AND a.tenant_id = t.tenant_id AND a.id = t.account_id)
  SELECT tenant_id, id::text FROM batch ORDER BY tenant_id DESC, id DESC LIMIT 1`;

const BACKFILL_ALERTS = `
  WITH batch AS MATERIALIZED (
    SELECT tenant_id, id FROM fraud_alerts WHERE (tenant_id, id) > ($1::varchar, $2::uuid) ORDER BY tenant_id, id LIMIT $3),
  filled AS (
    UPDATE fraud_alerts f SET account_id = t.account_id, account_ref = t.account_ref
      FROM batch b, transactions t
     WHERE f.tenant_id = b.tenant_id AND f.id = b.id AND f.account_ref IS NULL
       AND t.tenant_id = f.tenant_id AND t.id = f.transaction_id)
  SELECT tenant_id, id::text FROM batch ORDER BY tenant_id DESC, id DESC LIMIT 1`;

/**
 * Fill the copies of a row inserted without them (by a writer that does not know the columns: an
 * older app during a rolling deploy, a hand-written INSERT). The ingest always sends them, and the
 * triggers' WHEN clause keeps it from paying a function call per row.
 */
function fillFunctions(roles: DeploymentRoles): string {
  const { owner, app } = quotedRoles(roles);
  return `
  CREATE FUNCTION fg_transaction_account_ref() RETURNS trigger
    LANGUAGE plpgsql
    AS $fn$
    BEGIN
      SELECT a.external_ref INTO NEW.account_ref FROM public.accounts a WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.account_id;
      RETURN NEW;
    END
    $fn$;
  CREATE FUNCTION fg_alert_account() RETURNS trigger
    LANGUAGE plpgsql
    AS $fn$
    BEGIN
      SELECT t.account_id, t.account_ref INTO NEW.account_id, NEW.account_ref
        FROM public.transactions t WHERE t.tenant_id = NEW.tenant_id AND t.id = NEW.transaction_id;
      RETURN NEW;
    END
    $fn$;
  ALTER FUNCTION fg_transaction_account_ref() OWNER TO ${owner};
  ALTER FUNCTION fg_alert_account() OWNER TO ${owner};
  REVOKE EXECUTE ON FUNCTION fg_transaction_account_ref(), fg_alert_account() FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION fg_transaction_account_ref(), fg_alert_account() TO ${app};
  CREATE TRIGGER transactions_account_ref BEFORE INSERT ON transactions
    FOR EACH ROW WHEN (NEW.account_ref IS NULL) EXECUTE FUNCTION fg_transaction_account_ref();
  CREATE TRIGGER fraud_alerts_account BEFORE INSERT ON fraud_alerts
    FOR EACH ROW WHEN (NEW.account_id IS NULL OR NEW.account_ref IS NULL) EXECUTE FUNCTION fg_alert_account();`;
}

/**
 * Migration 0020's check on fraud_alerts.resolution. It is NOT VALID: alerts converted from a
 * single-tenant installation keep resolutions outside it, and an UPDATE of such a row fails it.
 */
const ALLOWED_RESOLUTION = `resolution IN ('FRAUD', 'LEGITIMATE', 'DUPLICATE', 'FALSE_POSITIVE', 'INCONCLUSIVE')`;

async function backfill(q: QueryRunner, sql: string): Promise<void> {
  let after: [string, string] = ['', '00000000-0000-0000-0000-000000000000'];
  for (;;) {
    const [last]: { tenant_id: string; id: string }[] = await q.query(sql, [...after, BATCH]);
    if (!last) return;
    after = [last.tenant_id, last.id];
  }
}

/**
 * Transactions and fraud alerts carry their account's external_ref (account_ref), and alerts their
 * transaction's account_id: every list shows the account as the integrator knows it without a join
 * per row. An account's external_ref never changes (no route or command updates it), so the copies
 * stay true; the ingest writes them with the rows.
 *
 * Short locks (short-locks.ts): the columns are added nullable (catalog only), existing rows are
 * filled in committed batches, then NOT NULL is proven from a validated check. Rows inserted
 * meanwhile get their copies from the triggers (fillFunctions). Run again after an interruption,
 * it carries on where it stopped.
 */
export class AccountRefOnTransactionsAndAlerts1700000000101 implements MigrationInterface {
  name = 'AccountRefOnTransactionsAndAlerts1700000000101';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await inShortTransaction(q, async (q) => {
      if (!(await column(q, 'transactions', 'account_ref'))) await q.query(`ALTER TABLE transactions ADD COLUMN account_ref varchar(128)`);
      if (!(await column(q, 'fraud_alerts', 'account_id'))) await q.query(`ALTER TABLE fraud_alerts ADD COLUMN account_id uuid`);
      if (!(await column(q, 'fraud_alerts', 'account_ref'))) await q.query(`ALTER TABLE fraud_alerts ADD COLUMN account_ref varchar(128)`);
      const [trigger] = await q.query(`SELECT 1 FROM pg_trigger WHERE tgname = 'transactions_account_ref' AND tgrelid = 'transactions'::regclass`);
      if (!trigger) await q.query(fillFunctions(await readDeploymentRoles(q)));
    });
    await backfill(q, BACKFILL_TRANSACTIONS);
    await setNotNull(q, 'transactions', 'account_ref');
    // Alerts holding a legacy resolution could not be filled under the resolution check: it is set
    // aside while their copies are written (the API only writes resolutions it allows) and put back
    // NOT VALID, also by a run that carries on after an interruption.
    const [legacyResolution] = await q.query(`SELECT 1 FROM fraud_alerts WHERE NOT (${ALLOWED_RESOLUTION}) LIMIT 1`);
    if (legacyResolution) await inShortTransaction(q, `ALTER TABLE fraud_alerts DROP CONSTRAINT IF EXISTS fraud_alerts_resolution_check`);
    await backfill(q, BACKFILL_ALERTS);
    if (!(await constraintNamed(q, 'fraud_alerts', 'fraud_alerts_resolution_check'))) {
      await inShortTransaction(q, `ALTER TABLE fraud_alerts ADD CONSTRAINT fraud_alerts_resolution_check CHECK (${ALLOWED_RESOLUTION}) NOT VALID`);
    }
    await setNotNull(q, 'fraud_alerts', 'account_id');
    await setNotNull(q, 'fraud_alerts', 'account_ref');
  }

  async down(q: QueryRunner): Promise<void> {
    await inShortTransaction(q, `
      DROP TRIGGER IF EXISTS fraud_alerts_account ON fraud_alerts;
      DROP TRIGGER IF EXISTS transactions_account_ref ON transactions;
      DROP FUNCTION IF EXISTS fg_alert_account();
      DROP FUNCTION IF EXISTS fg_transaction_account_ref();
      ALTER TABLE fraud_alerts DROP COLUMN IF EXISTS account_ref, DROP COLUMN IF EXISTS account_id;
      ALTER TABLE transactions DROP COLUMN IF EXISTS account_ref;
    `);
  }
}
