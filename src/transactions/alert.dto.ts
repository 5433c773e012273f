import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { PageQuery, plainPageQuery } from '../common/pagination.js';
import { registerFastValidation } from '../common/validation.js';
import { IsTimeFilter } from './transaction-validators.js';
import { ReasonView, RISK_LEVELS, TransactionView } from './transaction.dto.js';
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

const ISO_TIME = '2026-03-14T09:26:53.589Z';

/** A fraud alert as the API shows it (the list, PATCH /alerts/:id). */
@ApiSchema({ name: 'Alert' })
export class AlertView {
  @ApiProperty({ format: 'uuid', example: '01936a4e-8a10-7b2c-9e3d-4f5a6b7c8d9e' }) id: string;
  @ApiProperty({ format: 'uuid', example: '01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d' }) transaction_id: string;
  @ApiProperty({ format: 'uuid', example: '01936a4e-12ab-7d40-8c11-0a5f2e9b7c33', description: "The transaction's account" }) account_id: string;
  @ApiProperty({ example: 'cust-1042', description: "The account's external_ref" }) account_ref: string;
  @ApiProperty({ enum: RISK_LEVELS, example: 'HIGH' }) severity: RiskLevel;
  @ApiProperty({ minimum: 0, maximum: 1, example: 0.75 }) risk_score: number;
  @ApiProperty({ type: [ReasonView] }) reasons: Reason[];
  @ApiProperty({ example: false }) handled: boolean;
  @ApiProperty({ enum: RESOLUTIONS, nullable: true, example: null }) resolution: Resolution | null;
  @ApiProperty({ type: String, nullable: true, example: null }) note: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 7, description: 'A user id' }) assignee_id: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'The user who handled it' }) handled_by: number | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'Converted from a single-tenant installation: the staff id (of that installation) the alert was assigned to. Read-only.',
  })
  legacy_assignee_id: number | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'Converted from a single-tenant installation: the staff id (of that installation) who handled the alert. Read-only.',
  })
  legacy_handled_by: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) handled_at: Date | null;
  @ApiProperty({ type: String, format: 'date-time', example: ISO_TIME }) created_at: Date;
  @ApiProperty({ type: String, format: 'date-time', example: ISO_TIME }) updated_at: Date;
}

/** GET /alerts/:id: the alert and its transaction. */
@ApiSchema({ name: 'AlertDetail' })
export class AlertDetailView extends AlertView {
  @ApiProperty({ type: TransactionView, nullable: true }) transaction: TransactionView | null;
}

@ApiSchema({ name: 'AlertPage' })
export class AlertPage {
  @ApiProperty({ type: [AlertView] }) data: AlertView[];
  @ApiProperty({ example: false }) has_more: boolean;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Pass as starting_after for the next page' }) next_cursor: string | null;
}

/** `alert` as AlertRepository reads it: with its transaction's account. */
export function alertView(alert: FraudAlert): AlertView {
  return {
    id: alert.id,
    transaction_id: alert.transactionId,
    account_id: alert.transaction.accountId,
    account_ref: alert.transaction.account.externalRef,
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
