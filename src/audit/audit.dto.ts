import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { PageQuery } from '../common/pagination.js';

export const AUDIT_EXPORT_FORMATS = ['json', 'csv', 'ndjson'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

export class AuditLogQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'api_key.created', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string;

  @ApiPropertyOptional({ example: 'api_key', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  resource_type?: string;

  @ApiPropertyOptional({ example: '42', maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  resource_id?: string;

  @ApiPropertyOptional({ example: 7, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  user_id?: number;

  @ApiPropertyOptional({ description: 'Rows at or after this instant (ISO 8601)', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'Rows strictly before this instant (ISO 8601)', example: '2026-02-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({
    enum: AUDIT_EXPORT_FORMATS,
    default: 'json',
    description: '`csv` and `ndjson` stream every matching row (no pagination: `limit` and `starting_after` are ignored)',
  })
  @IsOptional()
  @IsIn(AUDIT_EXPORT_FORMATS)
  format?: AuditExportFormat;
}

/** An audit row as the API shows it. */
@ApiSchema({ name: 'AuditLog' })
export class AuditLogView {
  @ApiProperty({ pattern: '^\\d{1,19}$', example: '1042', description: 'A 64-bit integer, as a string (beyond the precision of a JSON number)' }) id: string;
  @ApiProperty({ format: 'date-time', example: '2026-01-15T10:32:01.123456Z', description: 'When the change was written (ISO 8601, UTC, microseconds: the instant the hash chain covers)' })
  created_at: string;
  @ApiProperty({ nullable: true, type: Number, example: 7 }) user_id: number | null;
  @ApiProperty({ example: 'api_key.created' }) action: string;
  @ApiProperty({ nullable: true, type: String, example: 'api_key' }) resource_type: string | null;
  @ApiProperty({ nullable: true, type: String, example: '12' }) resource_id: string | null;
  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' }) ip_address: string | null;
  @ApiProperty({ nullable: true, type: String }) user_agent: string | null;
  @ApiProperty({ nullable: true, type: String }) request_id: string | null;
  @ApiProperty({ nullable: true, type: Object, description: 'Secrets are never stored' }) old_value: unknown;
  @ApiProperty({ nullable: true, type: Object, example: { key_name: 'ci', actor: { api_key_id: 3, api_key_prefix: 'fgk_live_AbCdEfG' } } })
  new_value: unknown;
  @ApiProperty({ enum: ['INFO', 'WARNING', 'CRITICAL'] }) severity: string;
  @ApiProperty({ nullable: true, type: String, description: 'hash of the previous row in this tenant\'s chain (null for the first, and until sealed)' })
  prev_hash: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'sha256 over the canonical form of this row, prev_hash included; null until sealed (normally within a second)' })
  hash: string | null;
}

@ApiSchema({ name: 'AuditLogPage' })
export class AuditLogPage {
  @ApiProperty({ type: [AuditLogView] }) data: AuditLogView[];
  @ApiProperty() has_more: boolean;
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

@ApiSchema({ name: 'AuditChainVerification' })
export class AuditChainVerification {
  @ApiProperty({ example: true }) valid: boolean;
  @ApiProperty({ example: 1042, description: 'sealed rows checked' }) checked: number;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'id of the first row, in chain order, whose hash, link or position does not match' })
  first_broken_id: string | null;
  @ApiProperty({ example: 0, description: 'rows written but not sealed into the chain yet (not checked)' }) pending: number;
}
