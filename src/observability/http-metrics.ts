import type pg from 'pg';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: string;
  count: number;
  sum: number;
  buckets: number[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * Request count and latency by method, route template and status, in Prometheus' text format.
 * Per request: one Map look-up and a few increments (no allocation once a series exists). Routes
 * are templates (`/api/v1/admin/tenants/:id`), never raw URLs, so the series count stays bounded;
 * requests that matched no route share `route="unmatched"`.
 */
export class HttpMetrics {
  private readonly series = new Map<string, Series>();
  private readonly started = Date.now();

  observe(method: string, route: string | undefined, status: number, seconds: number): void {
    const key = `${method}\u0000${route ?? ''}\u0000${status}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels: `method="${escapeLabel(method)}",route="${escapeLabel(route ?? 'unmatched')}",status="${status}"`,
        count: 0,
        sum: 0,
        buckets: BUCKETS.map(() => 0),
      };
      this.series.set(key, series);
    }
    series.count++;
    series.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) series.buckets[i]++;
  }

  render(pool?: Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'>, poolMax?: number): string {
    const lines: string[] = [];
    lines.push('# HELP http_requests_total HTTP requests answered, by method, route template and status.');
    lines.push('# TYPE http_requests_total counter');
    for (const series of this.series.values()) lines.push(`http_requests_total{${series.labels}} ${series.count}`);
    lines.push('# HELP http_request_duration_seconds Time to answer, by method, route template and status.');
    lines.push('# TYPE http_request_duration_seconds histogram');
    for (const series of this.series.values()) {
      BUCKETS.forEach((bound, i) => lines.push(`http_request_duration_seconds_bucket{${series.labels},le="${bound}"} ${series.buckets[i]}`));
      lines.push(`http_request_duration_seconds_bucket{${series.labels},le="+Inf"} ${series.count}`);
      lines.push(`http_request_duration_seconds_sum{${series.labels}} ${series.sum}`);
      lines.push(`http_request_duration_seconds_count{${series.labels}} ${series.count}`);
    }
    if (pool) {
      lines.push('# HELP db_pool_connections Connections of the app role pool, by state (total = idle + in use).');
      lines.push('# TYPE db_pool_connections gauge');
      lines.push(`db_pool_connections{pool="app",state="total"} ${pool.totalCount}`);
      lines.push(`db_pool_connections{pool="app",state="idle"} ${pool.idleCount}`);
      lines.push(`db_pool_connections{pool="app",state="in_use"} ${pool.totalCount - pool.idleCount}`);
      lines.push('# HELP db_pool_waiting_requests Requests waiting for a connection of the app pool.');
      lines.push('# TYPE db_pool_waiting_requests gauge');
      lines.push(`db_pool_waiting_requests{pool="app"} ${pool.waitingCount}`);
      if (poolMax !== undefined) {
        lines.push('# HELP db_pool_max_connections Size limit of the app pool.');
        lines.push('# TYPE db_pool_max_connections gauge');
        lines.push(`db_pool_max_connections{pool="app"} ${poolMax}`);
      }
    }
    const memory = process.memoryUsage();
    lines.push('# HELP process_resident_memory_bytes Resident memory size in bytes.');
    lines.push('# TYPE process_resident_memory_bytes gauge');
    lines.push(`process_resident_memory_bytes ${memory.rss}`);
    lines.push('# HELP nodejs_heap_used_bytes V8 heap in use.');
    lines.push('# TYPE nodejs_heap_used_bytes gauge');
    lines.push(`nodejs_heap_used_bytes ${memory.heapUsed}`);
    lines.push('# HELP process_uptime_seconds Seconds since this instance started.');
    lines.push('# TYPE process_uptime_seconds gauge');
    lines.push(`process_uptime_seconds ${(Date.now() - this.started) / 1000}`);
    return lines.join('\n') + '\n';
  }
}
