import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { OperatorOnly } from '../admin/platform-admin.guard.js';
import { AuditSealer } from '../audit/audit-sealer.js';
import { renderAuditSealMetrics } from './audit-seal-metrics.js';
import { RATE_LIMIT_STORE } from '../rate-limit/rate-limit.guard.js';
import { RedisRateLimitStore, type RateLimitStore } from '../rate-limit/rate-limit.store.js';
import { HttpMetrics } from './http-metrics.js';

/** Whether the shared rate-limit counters (Redis) are failing, when they are configured at all. */
function renderRedisMetrics(store: RateLimitStore | null): string {
  if (!(store instanceof RedisRateLimitStore)) return '';
  return (
    '# HELP fraudguard_redis_degraded 1 while Redis fails and rate limits are counted per process (fail open).\n' +
    '# TYPE fraudguard_redis_degraded gauge\n' +
    `fraudguard_redis_degraded ${store.degraded ? 1 : 0}\n`
  );
}

/** Prometheus scrape endpoint, outside /api/v1, behind the operators' token (X-Admin-Token). */
@ApiExcludeController()
@Controller('metrics')
@OperatorOnly()
export class MetricsController {
  constructor(
    private readonly metrics: HttpMetrics,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly auditSealer: AuditSealer,
    @Inject(RATE_LIMIT_STORE) private readonly rateLimitStore: RateLimitStore | null,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  async scrape(): Promise<string> {
    // TypeORM's postgres driver keeps its pg.Pool as `master`.
    const pool: pg.Pool | undefined = (this.dataSource.driver as PostgresDriver).master;
    return this.metrics.render(pool, pool?.options.max) + renderAuditSealMetrics(await this.auditSealer.gauges()) + renderRedisMetrics(this.rateLimitStore);
  }
}
