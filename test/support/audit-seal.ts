import pg from 'pg';
import { runSealPass } from '../../src/audit/audit-seal.js';

const UNSEALED = `SELECT count(*)::int AS n FROM audit_logs WHERE hash IS NULL AND seq IS NULL`;

/** Unsealed audit rows of one tenant, or of all. */
export async function unsealedRows(client: pg.ClientBase, tenantId?: string): Promise<number> {
  const { rows } = tenantId ? await client.query(`${UNSEALED} AND tenant_id = $1`, [tenantId]) : await client.query(UNSEALED);
  return rows[0].n;
}

/**
 * Waits until the running app's sealer (AUDIT_SEAL_INTERVAL_MS, 200 ms by default) has sealed every
 * audit row of `tenantId` (of every tenant when omitted), polling rather than sleeping a fixed time.
 * Rows of a transaction still open stay unsealed, so call it once the writes have committed.
 */
export async function waitForSealed(ownerUrl: string, tenantId?: string, timeoutMs = 20_000): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = await unsealedRows(client, tenantId);
      if (left === 0) return;
      if (Date.now() > deadline) throw new Error(`${left} audit rows still unsealed after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
}

/**
 * Seals as `audit:seal` does, for databases with no app running: seal passes as the app role until
 * nothing of `tenantId` (or of anyone) is left. A pass may leave rows of transactions that were still
 * running at its start; the next one takes them.
 */
export async function sealNow(appUrl: string, tenantId?: string, timeoutMs = 20_000): Promise<number> {
  const client = new pg.Client({ connectionString: appUrl });
  await client.connect();
  let sealed = 0;
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      sealed += (await runSealPass(client, { batch: 1000 })).sealed;
      const left = (await client.query(`SELECT COALESCE(sum(pending) FILTER (WHERE $1::text IS NULL OR tenant_id = $1), 0)::int AS n FROM fg_audit_seal_status()`, [tenantId ?? null])).rows[0].n;
      if (left === 0) return sealed;
      if (Date.now() > deadline) throw new Error(`${left} audit rows still unsealed after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
}
