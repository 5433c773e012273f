import pg from 'pg';
import { PLATFORM_ROLE } from '../database/roles.js';
import { assertTenantId } from '../database/tenant-transaction.js';

export type PlatformClient = Pick<pg.PoolClient, 'query'>;

/**
 * The only cross-tenant door in the code base, used by src/admin alone (HTTP admin API and CLI).
 * It connects with the owner's URL but every transaction first drops to `fraudguard_platform`
 * (`SET LOCAL ROLE`: BYPASSRLS, yet only the grants operators need — see migration 0031), and, when
 * the work concerns one tenant, sets app.current_tenant transaction-locally like every request, so
 * audit rows land in that tenant's chain. A small pool of its own: operator traffic never competes
 * with tenant requests for the app pool, and tenant requests never get this role.
 */
export class PlatformDatabase {
  private readonly pool: pg.Pool;

  constructor(ownerUrl: string, applicationName = 'fraudguard-platform') {
    this.pool = new pg.Pool({ connectionString: ownerUrl, max: 2, idleTimeoutMillis: 10_000, application_name: applicationName });
    this.pool.on('error', () => undefined); // an idle client's failure surfaces on the next query
  }

  async transaction<T>(work: (client: PlatformClient) => Promise<T>, options: { tenantId?: string; readOnly?: boolean } = {}): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const setTenant = options.tenantId
        ? `; SELECT set_config('app.current_tenant', ${client.escapeLiteral(assertTenantId(options.tenantId))}, true)`
        : '';
      await client.query(`${options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN'}; SET LOCAL ROLE ${PLATFORM_ROLE}${setTenant}`);
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError) => (broken = rollbackError));
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}
