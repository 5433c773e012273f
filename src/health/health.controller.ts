import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, problemDoc } from '../common/problem.schema.js';
import { Public } from '../common/authenticated.decorator.js';
import { ProblemException } from '../common/problem.js';
import { NoTransaction } from '../database/tenant-context.interceptor.js';
import { HealthRepository } from './health.repository.js';
import { RedisProbe } from './redis-probe.js';

@ApiTags('Health')
@Controller('health')
@Public()
@NoTransaction()
export class HealthController {
  constructor(
    private readonly health: HealthRepository,
    private readonly redis: RedisProbe,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  @ApiOperation({ summary: 'Liveness', description: 'The process answers; nothing else is checked (use it to restart a hung process).' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', example: 'ok' } } } })
  live() {
    return { status: 'ok' };
  }

  /**
   * Readiness: the database answers as the app role and every migration is applied. Redis only
   * degrades the service (rate limits fail open to per-process counts), so an unreachable Redis is
   * reported as `degraded` and the instance stays ready: an orchestrator must not pull every
   * instance during a Redis outage.
   */
  @Get('ready')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Readiness',
    description: 'The database answers as the application role with every migration applied: route traffic here only then. Redis, when configured, is `ok` or `degraded` (an unreachable Redis only degrades the service: the instance stays ready).',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { status: { type: 'string', example: 'ready' }, database: { type: 'string', example: 'ok' }, redis: { type: 'string', example: 'ok' } },
    },
  })
  @ApiProblems(problemDoc(503, 'not-ready', 'Not ready', 'pending migrations: 0110_example'))
  async ready() {
    let pending: string[];
    try {
      pending = await this.health.pendingMigrations();
    } catch (error) {
      throw new ProblemException(503, 'not-ready', 'Not ready', `database unreachable: ${(error as Error).message}`);
    }
    if (pending.length) throw new ProblemException(503, 'not-ready', 'Not ready', `pending migrations: ${pending.join(', ')}`);
    if (!this.redis.configured) return { status: 'ready', database: 'ok' };
    try {
      await this.redis.ping();
    } catch {
      return { status: 'ready', database: 'ok', redis: 'degraded' };
    }
    return { status: 'ready', database: 'ok', redis: 'ok' };
  }
}
