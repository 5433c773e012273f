import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { PageQuery, plainPageQuery } from '../common/pagination.js';
import { registerFastValidation } from '../common/validation.js';
import { IsTimeFilter } from './transaction-validators.js';
import { RISK_LEVELS } from './transaction.dto.js';
import type { FraudAlert } from './fraud-alert.entity.js';
import type { Reason, RiskLevel } from './scoring.js';

export const RESOLUTIONS = ['FRAUD', 'LEGITIMATE', 'DUPLICATE', 'FALSE_POSITIVE', 'INCONCLUSIVE'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class AlertListQuery extends PageQuery {
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  handled?: boolean;

  @IsOptional()
  @IsIn(RISK_LEVELS)
  severity?: RiskLevel;

  /** created_at >= from */
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsTimeFilter()
  from?: string;

  /** created_at < to */
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsTimeFilter()
  to?: string;
}

/** Every field optional; null clears resolution, note and assignee_id. */
export class UpdateAlertDto {
  @IsOptional()
  @IsBoolean()
  handled?: boolean;

  @IsOptional()
  @IsIn(RESOLUTIONS)
  resolution?: Resolution | null;

  @IsOptional()
  @IsString()
  @MaxLength(4000)
  note?: string | null;

  /** A user of this tenant. */
  @IsOptional()
  @IsInt()
  @Min(1)
  assignee_id?: number | null;
}

/** An alert as the API shows it (GET/PATCH /alerts/:id, each item of GET /alerts). */
export class AlertDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) transaction_id: string;
  @ApiProperty({ enum: RISK_LEVELS }) severity: string;
  @ApiProperty({ example: 0.8125 }) risk_score: number;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'The scoring rules that fired' }) reasons: unknown[];
  @ApiProperty() handled: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'FRAUD',
    description: `One of ${RESOLUTIONS.join(', ')}; an alert converted from a single-tenant installation keeps the value it had there`,
  })
  resolution: string | null;
  @ApiProperty({ nullable: true, type: String }) note: string | null;
  @ApiProperty({ nullable: true, type: 'integer', description: 'The tenant user the alert is assigned to' }) assignee_id: number | null;
  @ApiProperty({ nullable: true, type: 'integer', description: 'The tenant user who handled the alert' }) handled_by: number | null;
  @ApiProperty({
    nullable: true,
    type: 'integer',
    description: 'Converted from a single-tenant installation: the staff id (of that installation) the alert was assigned to. Read-only.',
  })
  legacy_assignee_id: number | null;
  @ApiProperty({
    nullable: true,
    type: 'integer',
    description: 'Converted from a single-tenant installation: the staff id (of that installation) who handled the alert. Read-only.',
  })
  legacy_handled_by: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) handled_at: Date | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at: Date;
}

export class AlertPageDto {
  @ApiProperty({ type: [AlertDto] }) data: AlertDto[];
  @ApiProperty() has_more: boolean;
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

/** The alert as the API shows it (AlertDto documents it). */
export interface AlertView {
  id: string;
  transaction_id: string;
  severity: RiskLevel;
  risk_score: number;
  reasons: Reason[];
  handled: boolean;
  resolution: Resolution | null;
  note: string | null;
  assignee_id: number | null;
  handled_by: number | null;
  legacy_assignee_id: number | null;
  legacy_handled_by: number | null;
  handled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function alertView(alert: FraudAlert): AlertView {
  return {
    id: alert.id,
    transaction_id: alert.transactionId,
    severity: alert.severity,
    // numeric(5,4) arrives as a decimal string; the API answers a number.
    risk_score: Number(alert.riskScore),
    reasons: alert.reasons as Reason[],
    handled: alert.handled,
    resolution: alert.resolution,
    note: alert.note,
    assignee_id: alert.assigneeId,
    handled_by: alert.handledBy,
    legacy_assignee_id: alert.legacyAssigneeId,
    legacy_handled_by: alert.legacyHandledBy,
    handled_at: alert.handledAt,
    created_at: alert.createdAt,
    updated_at: alert.updatedAt,
  };
}

/** Only limit / starting_after: the list's own filters are all optional. */
registerFastValidation(AlertListQuery, (query) => plainPageQuery(AlertListQuery, query));
