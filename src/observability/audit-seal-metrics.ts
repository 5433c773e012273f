import type { AuditSealGauges } from '../audit/audit-sealer.js';

/**
 * The audit sealer's gauges in Prometheus' text format. The lag and the unsealed count are the
 * database's (every process reports the same values); leader and sealed rows are this process's.
 * When the database could not be asked, the two backlog gauges are left out rather than guessed.
 */
export function renderAuditSealMetrics(gauges: AuditSealGauges): string {
  const lines: string[] = [];
  if (gauges.lagSeconds !== undefined && gauges.unsealedRows !== undefined) {
    lines.push('# HELP fraudguard_audit_seal_lag_seconds Age of the oldest audit row not yet sealed into its tenant\'s hash chain (0 when none).');
    lines.push('# TYPE fraudguard_audit_seal_lag_seconds gauge');
    lines.push(`fraudguard_audit_seal_lag_seconds ${gauges.lagSeconds}`);
    lines.push('# HELP fraudguard_audit_unsealed_rows Audit rows not yet sealed, all tenants.');
    lines.push('# TYPE fraudguard_audit_unsealed_rows gauge');
    lines.push(`fraudguard_audit_unsealed_rows ${gauges.unsealedRows}`);
  }
  lines.push('# HELP fraudguard_audit_sealer_leader 1 when this process leads audit sealing.');
  lines.push('# TYPE fraudguard_audit_sealer_leader gauge');
  lines.push(`fraudguard_audit_sealer_leader ${gauges.leader ? 1 : 0}`);
  lines.push('# HELP fraudguard_audit_sealed_rows_total Audit rows this process has sealed.');
  lines.push('# TYPE fraudguard_audit_sealed_rows_total counter');
  lines.push(`fraudguard_audit_sealed_rows_total ${gauges.sealedRowsTotal}`);
  return lines.join('\n') + '\n';
}
