import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { OperatorOnly } from '../admin/platform-admin.guard.js';
import { AuditSealer } from '../audit/audit-sealer.js';
import { renderAuditSealMetrics } from './audit-seal-metrics.js';
import { HttpMetrics } from './http-metrics.js';

/** Prometheus scrape endpoint, outside /api/v1, behind the operators' token (X-Admin-Token). */
@ApiExcludeController()
@Controller('metrics')
@OperatorOnly()
export class MetricsController {
  constructor(
    private readonly metrics: HttpMetrics,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly auditSealer: AuditSealer,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  async scrape(): Promise<string> {
    // TypeORM's postgres driver keeps its pg.Pool as `master`.
    const pool: pg.Pool | undefined = (this.dataSource.driver as PostgresDriver).master;
    return this.metrics.render(pool, pool?.options.max) + renderAuditSealMetrics(await this.auditSealer.gauges());
  }
}
