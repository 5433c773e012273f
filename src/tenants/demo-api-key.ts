import type { DataSource } from 'typeorm';
import { DEFAULT_TENANT_ID } from './default-tenant.js';
import { generateApiKey } from '../api-keys/api-key.token.js';

/**
 * A newcomer's first `npm start`: when the only tenant is the seed's default one and it has no API
 * key yet, issue one and return it so it can be printed once. Runs as the owner at start-up.
 */
export async function issueDemoApiKey(owner: DataSource): Promise<string | undefined> {
  return owner.transaction(async (manager) => {
    const [{ others, keys }] = await manager.query(
      `SELECT (SELECT count(*) FROM tenants WHERE tenant_id <> $1)::int AS others,
              (SELECT count(*) FROM tenant_api_keys WHERE tenant_id = $1)::int AS keys`,
      [DEFAULT_TENANT_ID],
    );
    if (others > 0 || keys > 0) return undefined;
    const issued = generateApiKey();
    await manager.query(
      `INSERT INTO tenant_api_keys (tenant_id, key_name, key_hash, key_prefix)
       SELECT $1::varchar, 'Demo key', $2, $3 WHERE EXISTS (SELECT 1 FROM tenants WHERE tenant_id = $1::varchar)`,
      [DEFAULT_TENANT_ID, issued.hash, issued.prefix],
    );
    return issued.key;
  });
}
