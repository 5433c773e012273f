import { Controller, Get, HttpCode } from '@nestjs/common';
import { Public } from '../common/authenticated.decorator.js';
import { ProblemException } from '../common/problem.js';
import { NoTransaction } from '../database/tenant-context.interceptor.js';
import { HealthRepository } from './health.repository.js';

@Controller('health')
@Public()
@NoTransaction()
export class HealthController {
  constructor(private readonly health: HealthRepository) {}

  /** Liveness: the process answers. */
  @Get()
  live() {
    return { status: 'ok' };
  }

  /** Readiness: the database answers as the app role and every migration is applied. */
  @Get('ready')
  @HttpCode(200)
  async ready() {
    let pending: string[];
    try {
      pending = await this.health.pendingMigrations();
    } catch (error) {
      throw new ProblemException(503, 'not-ready', 'Not ready', `database unreachable: ${(error as Error).message}`);
    }
    if (pending.length) throw new ProblemException(503, 'not-ready', 'Not ready', `pending migrations: ${pending.join(', ')}`);
    return { status: 'ready', database: 'ok' };
  }
}
