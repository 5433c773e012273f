import { TransactionHost } from '@nestjs-cls/transactional';
import { Controller, Get, Injectable, Module, Post } from '@nestjs/common';
import type { AuthContext } from '../../src/common/auth-context.js';
import { Auth } from '../../src/common/auth.decorator.js';
import { Authenticated } from '../../src/common/authenticated.decorator.js';
import type { TenantTransactionAdapter } from '../../src/database/tenant-transaction.adapter.js';

/** Test-only routes that look inside the request's transaction: which connection, which tenant. */
@Injectable()
class ProbeRepository {
  constructor(private readonly txHost: TransactionHost<TenantTransactionAdapter>) {}

  async whoami() {
    const [row] = await this.txHost.tx.query(`
      SELECT pg_backend_pid() AS pid,
             current_setting('app.current_tenant', true) AS tenant_setting,
             (SELECT count(*) FROM accounts)::int AS accounts,
             (SELECT array_agg(DISTINCT tenant_id) FROM accounts) AS account_tenants,
             (SELECT array_agg(tenant_id) FROM tenants) AS tenants`);
    return row;
  }

  /** Writes a row, then fails: the write must be rolled back and the connection come back clean. */
  async writeThenFail(tenantId: string): Promise<never> {
    await this.txHost.tx.query(`INSERT INTO accounts (tenant_id, external_ref) VALUES ($1, 'must-roll-back')`, [tenantId]);
    await this.txHost.tx.query(`SELECT 1 / 0`);
    throw new Error('unreachable');
  }
}

@Controller('probe')
class ProbeController {
  constructor(private readonly probe: ProbeRepository) {}

  @Get('whoami')
  @Authenticated()
  whoami() {
    return this.probe.whoami();
  }

  @Post('fail')
  @Authenticated()
  fail(@Auth() auth: AuthContext) {
    return this.probe.writeThenFail(auth.tenantId);
  }
}

@Module({ controllers: [ProbeController], providers: [ProbeRepository] })
export class ProbeModule {}
