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
    handled_at: alert.handledAt,
    created_at: alert.createdAt,
    updated_at: alert.updatedAt,
  };
}

/** Only limit / starting_after: the list's own filters are all optional. */
registerFastValidation(AlertListQuery, (query) => plainPageQuery(AlertListQuery, query));
