import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every ingest rewrites its account's profile row (about 1.3 kB). With full pages the new version
 * lands on another page, so each update also adds an entry to the primary key index, and the
 * look-up of the next ingest walks past dead versions until a vacuum runs. Measured on the
 * benchmark's server, which has autovacuum off: after 120,000 updates of 10,000 profiles, about half
 * were HOT, and a 1,000-item batch spent 10 ms finding its 100 profiles (0.1 ms each, about half
 * that after a VACUUM).
 *
 * Half-empty pages leave room for the next version on the same page. The update is then HOT: no
 * index entry is added, and the page's old versions are pruned as it is read, without a vacuum.
 * This applies to pages written from now on. Existing rows move to such pages as they are updated,
 * or all at once with a VACUUM FULL, which this migration does not take the lock for.
 */
export class AccountProfilesFillfactor1700000000045 implements MigrationInterface {
  name = 'AccountProfilesFillfactor1700000000045';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE account_profiles SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE account_profiles RESET (fillfactor)`);
  }
}
