import type { MigrationInterface, QueryRunner } from 'typeorm';
import { constraintNamed } from './catalog.js';
import { inShortTransaction } from './short-locks.js';

const RESOLUTIONS = ['FRAUD', 'LEGITIMATE', 'DUPLICATE', 'FALSE_POSITIVE', 'INCONCLUSIVE'];
const LISTED = RESOLUTIONS.map((resolution) => `'${resolution}'`).join(', ');
const NAME = 'fraud_alerts_resolution_check';

/**
 * Migration 70: an alert's resolution is checked when it is written, not on every write of the row.
 *
 * A single-tenant installation may have resolutions the multi-tenant list does not have (e.g.
 * CHARGEBACK); the conversion keeps them. A CHECK constraint, even NOT VALID, refuses every UPDATE
 * of such a row — a note added through the API, a backfill of another column. This trigger refuses
 * a resolution outside the list only on INSERT, or on an UPDATE that changes it, with the error the
 * CHECK gave (23514, constraint fraud_alerts_resolution_check). Its WHEN clause keeps listed values
 * from paying a function call (the ingest inserts alerts).
 *
 * Step by step (short-locks.ts): the trigger and the constraint's removal take their locks in one
 * short transaction; run again, it finds what is done.
 */
export class AlertResolutionOnChange1700000000070 implements MigrationInterface {
  name = 'AlertResolutionOnChange1700000000070';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await inShortTransaction(q, async (q) => {
      await q.query(`
        CREATE OR REPLACE FUNCTION fg_alert_resolution_check() RETURNS trigger
          LANGUAGE plpgsql
          AS $fn$
          BEGIN
            IF TG_OP = 'UPDATE' AND NEW.resolution IS NOT DISTINCT FROM OLD.resolution THEN
              RETURN NEW;
            END IF;
            RAISE EXCEPTION 'new row for relation "fraud_alerts" violates check constraint "${NAME}"'
              USING ERRCODE = 'check_violation', TABLE = 'fraud_alerts', COLUMN = 'resolution', CONSTRAINT = '${NAME}',
                    DETAIL = pg_catalog.format('resolution %s is not one of ${RESOLUTIONS.join(', ')}', NEW.resolution);
          END
          $fn$`);
      const [{ present }] = await q.query(
        `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = 'public.fraud_alerts'::regclass AND tgname = $1) AS present`,
        [NAME],
      );
      if (!present) {
        await q.query(`
          CREATE TRIGGER ${NAME} BEFORE INSERT OR UPDATE OF resolution ON fraud_alerts
            FOR EACH ROW WHEN (NEW.resolution IS NOT NULL AND NEW.resolution NOT IN (${LISTED}))
            EXECUTE FUNCTION fg_alert_resolution_check()`);
      }
      if (await constraintNamed(q, 'fraud_alerts', NAME)) await q.query(`ALTER TABLE fraud_alerts DROP CONSTRAINT ${NAME}`);
    });
  }

  async down(q: QueryRunner): Promise<void> {
    await inShortTransaction(q, async (q) => {
      await q.query(`DROP TRIGGER IF EXISTS ${NAME} ON fraud_alerts`);
      await q.query(`DROP FUNCTION IF EXISTS fg_alert_resolution_check()`);
      if (!(await constraintNamed(q, 'fraud_alerts', NAME))) {
        await q.query(`ALTER TABLE fraud_alerts ADD CONSTRAINT ${NAME} CHECK (resolution IN (${LISTED})) NOT VALID`);
      }
    });
  }
}
