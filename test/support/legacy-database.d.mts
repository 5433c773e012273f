import type pg from 'pg';

export const LEGACY_SCHEMA_SQL: string;
export function legacyDataSql(options: { transactions: number }): string;
export function buildLegacyDatabase(client: pg.Client, options: { transactions: number }): Promise<void>;
export const LEGACY_COLUMNS: Record<'accounts' | 'transactions' | 'fraud_alerts' | 'system_logs', string[]>;
export function legacyChecksums(client: pg.Client): Promise<Record<string, { rows: number; md5: string }>>;
