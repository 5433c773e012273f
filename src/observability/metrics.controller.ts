import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { OperatorOnly } from '../admin/platform-admin.guard.js';
import { APP_DATA_SOURCE } from '../database/database.tokens.js';
import { HttpMetrics } from './http-metrics.js';

/** Prometheus scrape endpoint, outside /api/v1, behind the operators' token (X-Admin-Token). */
@ApiExcludeController()
@Controller('metrics')
@OperatorOnly()
export class MetricsController {
  constructor(
    private readonly metrics: HttpMetrics,
    @Inject(APP_DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  scrape(): string {
    // TypeORM's postgres driver keeps its pg.Pool as `master`.
    const pool = (this.dataSource.driver as unknown as { master?: pg.Pool }).master;
    return this.metrics.render(pool, pool?.options.max);
  }
}
