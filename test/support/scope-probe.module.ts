import { Controller, Get, Module } from '@nestjs/common';
import { Authenticated } from '../../src/common/authenticated.decorator.js';

/**
 * Test-only routes, one per scope of the fixed list, so that the scope guard is exercised for every
 * scope before the routes of later issues (transactions, alerts, accounts) exist.
 */
@Controller('scope-probe')
class ScopeProbeController {
  @Get('read-transactions')
  @Authenticated({ scopes: ['read:transactions'] })
  readTransactions() {
    return { ok: true };
  }

  @Get('write-transactions')
  @Authenticated({ role: 'ANALYST', scopes: ['write:transactions'] })
  writeTransactions() {
    return { ok: true };
  }

  @Get('read-alerts')
  @Authenticated({ scopes: ['read:alerts'] })
  readAlerts() {
    return { ok: true };
  }

  @Get('write-alerts')
  @Authenticated({ role: 'ANALYST', scopes: ['write:alerts'] })
  writeAlerts() {
    return { ok: true };
  }

  @Get('read-accounts')
  @Authenticated({ scopes: ['read:accounts'] })
  readAccounts() {
    return { ok: true };
  }

  @Get('write-accounts')
  @Authenticated({ role: 'MANAGER', scopes: ['write:accounts'] })
  writeAccounts() {
    return { ok: true };
  }

  @Get('read-audit')
  @Authenticated({ role: 'MANAGER', scopes: ['read:audit'] })
  readAudit() {
    return { ok: true };
  }
}

@Module({ controllers: [ScopeProbeController] })
export class ScopeProbeModule {}
