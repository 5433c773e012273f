import pg from 'pg';

/** Drops every database this run created, then stops the embedded cluster if there is one. */
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
    await admin.end();
  }
  await globalThis.__fraudguardCluster?.stop();
}
