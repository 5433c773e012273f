import pg from 'pg';

/**
 * Drops every database this run created, then every role they created (named after them, so after
 * the run: roles.ts), then stops the embedded cluster if there is one. Nothing of a run outlives it
 * on a shared server.
 */
export default async function globalTeardown() {
  const serverUrl = process.env.FG_TEST_SERVER_URL;
  const run = process.env.FG_TEST_RUN;
  if (serverUrl && run) {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    const { rows } = await admin.query(
      `SELECT datname FROM pg_database WHERE datname LIKE 'fg\\_%' AND datname LIKE '%' || $1 || '%'`,
      [run],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)} WITH (FORCE)`).catch(() => undefined);
    }
    const roles = await admin.query(
      `SELECT rolname FROM pg_roles WHERE rolname LIKE 'fg\\_%' AND rolname LIKE '%' || $1 || '%'
        ORDER BY rolname LIKE '%\\_owner' -- owners last: the others may be granted to them`,
      [run],
    );
    for (const { rolname } of roles.rows) {
      await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(rolname)}`).catch((error) => {
        process.stderr.write(`global teardown: role ${rolname} not dropped: ${error.message}\n`);
      });
    }
    await admin.end();
  }
  await globalThis.__fraudguardCluster?.stop();
}
