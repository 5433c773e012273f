import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, runAppToExit, startAppProcess } from '../support/app-process.js';
import { assertServerUserCanRun, startEmbeddedPostgres, type EmbeddedCluster } from '../../src/database/embedded-postgres.js';

/**
 * Two checkouts on one machine: each embedded cluster belongs to its data folder. Also where a
 * password is checked (the embedded cluster uses password authentication; the shared test server
 * trusts loopback).
 */
/** Why no embedded cluster can start from this checkout (run as root, under a folder the server user cannot traverse), if so. */
function unreachable(): string | undefined {
  try {
    assertServerUserCanRun(path.join(os.tmpdir(), 'pg')); // only the binaries are in question: /tmp is reachable
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
const problem = unreachable();
if (problem) console.warn(`embedded-cluster tests skipped: ${problem}`);

(problem ? describe.skip : describe)('the embedded PostgreSQL is tied to its data folder (real processes)', () => {
  let parent: string;
  let port: number;
  let cluster: EmbeddedCluster;
  const mine = () => path.join(parent, 'checkout-a', '.data', 'postgres');
  const other = () => path.join(parent, 'checkout-b', '.data', 'postgres');

  beforeAll(async () => {
    parent = mkdtempSync(path.join(os.tmpdir(), 'fraudguard-embedded-'));
    chmodSync(parent, 0o755); // the server runs as the `postgres` system user when we are root
    port = await freePort();
    cluster = await startEmbeddedPostgres({ dir: mine(), port, persistent: false });
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  it("refuses another checkout's cluster on the port, in one line naming its data folder and EMBEDDED_PG_PORT", async () => {
    const run = await runAppToExit({ EMBEDDED_PG_DIR: other(), EMBEDDED_PG_PORT: String(port) });
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `FraudGuard failed to start: port ${port} (EMBEDDED_PG_PORT) is served by another embedded PostgreSQL, whose data folder is ${mine()}: ` +
        `stop it, or set EMBEDDED_PG_PORT to a free port for this checkout's cluster in ${other()}`,
    ]);
    await expect(startEmbeddedPostgres({ dir: other(), port, persistent: false })).rejects.toThrow(/another embedded PostgreSQL/);
  });

  it('reuses its own cluster when it already answers, and then names APP_DB_PASSWORD or DATABASE_URL for a wrong password', async () => {
    const app = await startAppProcess('', { EMBEDDED_PG_DIR: mine(), EMBEDDED_PG_PORT: String(port), MIGRATIONS_RUN: 'true' });
    try {
      expect((await fetch(`${app.baseUrl}/health/ready`)).status).toBe(200);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    const owner = new URL(cluster.ownerUrl);
    const wrongOwner = new URL(owner);
    wrongOwner.password = 'not-the-password';
    const [ownerRun, appRun] = await Promise.all([
      runAppToExit({ DATABASE_URL: wrongOwner.toString() }),
      runAppToExit({ DATABASE_URL: owner.toString(), APP_DB_PASSWORD: 'not-the-password', MIGRATIONS_RUN: 'false' }),
    ]);
    expect({ code: ownerRun.code, stderr: ownerRun.stderr.trimEnd() }).toEqual({
      code: 1,
      stderr: 'FraudGuard failed to start: PostgreSQL refused the password of user "postgres": fix the password in DATABASE_URL',
    });
    expect({ code: appRun.code, stderr: appRun.stderr.trimEnd() }).toEqual({
      code: 1,
      stderr: 'FraudGuard failed to start: PostgreSQL refused the password of user "fg_fraudguard_app": fix the password in APP_DB_PASSWORD (the password fg_fraudguard_app was created with)',
    });
  });
});
