import { Controller, Get, Module, Post } from '@nestjs/common';
import { Authenticated } from '../../src/common/authenticated.decorator.js';
import { Bound, RequestBound } from '../../src/database/request-scope.js';
import { TenantConnection } from '../../src/database/tenant-connection.js';

/** Test-only routes that look inside the request's transaction: which connection, which tenant. */
@RequestBound()
class ProbeRepository {
  constructor(private readonly db: TenantConnection) {}

  async whoami() {
    const [row] = await this.db.query(`
      SELECT pg_backend_pid() AS pid,
             current_setting('app.current_tenant', true) AS tenant_setting,
             (SELECT count(*) FROM accounts)::int AS accounts,
             (SELECT array_agg(DISTINCT tenant_id) FROM accounts) AS account_tenants,
             (SELECT array_agg(tenant_id) FROM tenants) AS tenants`);
    return row;
  }

  /** Writes a row, then fails: the write must be rolled back and the connection come back clean. */
  async writeThenFail(): Promise<never> {
    await this.db.query(`INSERT INTO accounts (tenant_id, external_ref) VALUES ($1, 'must-roll-back')`, [this.db.tenantId]);
    await this.db.query(`SELECT 1 / 0`);
    throw new Error('unreachable');
  }
}

@Controller('probe')
class ProbeController {
  @Get('whoami')
  @Authenticated()
  whoami(@Bound(ProbeRepository) probe: ProbeRepository) {
    return probe.whoami();
  }

  @Post('fail')
  @Authenticated()
  fail(@Bound(ProbeRepository) probe: ProbeRepository) {
    return probe.writeThenFail();
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
