import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsIP,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PageQuery, plainPageQuery } from '../common/pagination.js';
import { registerFastValidation } from '../common/validation.js';
import { EXTERNAL_REF } from './account.dto.js';
import { isAcceptableBatch, isAcceptableTransaction } from './transaction-fast-validation.js';
import type { Reason, RiskLevel, ScoringConfig, TransactionStatus } from './scoring.js';
import {
  IsAccountReference,
  IsAmount,
  IsCountryCode,
  IsCurrencyCode,
  IsPlausibleTxnTime,
  IsSmallJsonObject,
  IsTimeFilter,
} from './transaction-validators.js';

export const BATCH_MAX = 1000;
export const TRANSACTION_STATUSES = ['APPROVED', 'REVIEW', 'BLOCKED'] as const;
export const RISK_LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

export class CreateTransactionDto {
  /** An existing account's id. Exactly one of account_id and account_ref. */
  @IsAccountReference()
  account_id?: string;

  /** The integrator's reference (the account's external_ref); the account is created on first use. */
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(EXTERNAL_REF, { message: 'account_ref must be printable ASCII without surrounding spaces' })
  account_ref?: string;

  /** Decimal string ("12.50") or number; > 0; at most the currency's minor units. */
  @ApiProperty({
    oneOf: [{ type: 'string', pattern: '^[0-9]{1,14}(\\.[0-9]{1,4})?$' }, { type: 'number', minimum: 0, exclusiveMinimum: true }],
    example: '129.90',
  })
  @IsAmount()
  amount: string | number;

  @IsCurrencyCode()
  currency: string;

  @IsString()
  @Length(1, 255)
  merchant: string;

  @IsOptional()
  @Matches(/^\d{4}$/, { message: 'merchant_category must be a 4-digit MCC' })
  merchant_category?: string;

  @IsOptional()
  @IsCountryCode()
  country?: string;

  @IsOptional()
  @IsIP()
  ip_address?: string;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  device_id?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  @IsPlausibleTxnTime()
  txn_time?: string;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(EXTERNAL_REF, { message: 'external_id must be printable ASCII without surrounding spaces' })
  external_id?: string;

  @IsOptional()
  @IsSmallJsonObject()
  metadata?: Record<string, unknown>;
}

export class CreateTransactionBatchDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BATCH_MAX)
  @ValidateNested({ each: true })
  @Type(() => CreateTransactionDto)
  transactions: CreateTransactionDto[];
}

registerFastValidation(CreateTransactionDto, (body) => (isAcceptableTransaction(body) ? (body as CreateTransactionDto) : undefined));
registerFastValidation(CreateTransactionBatchDto, (body) => (isAcceptableBatch(body, BATCH_MAX) ? (body as CreateTransactionBatchDto) : undefined));

export class TransactionListQuery extends PageQuery {
  @IsOptional()
  @IsUUID()
  account_id?: string;

  /** txn_time >= from */
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsTimeFilter()
  from?: string;

  /** txn_time < to */
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsTimeFilter()
  to?: string;

  @IsOptional()
  @IsIn(TRANSACTION_STATUSES)
  status?: TransactionStatus;

  @IsOptional()
  @IsIn(RISK_LEVELS)
  risk_level?: RiskLevel;

  @IsOptional()
  @Matches(/^\d{1,14}(\.\d{1,4})?$/, { message: 'min_amount must be a decimal' })
  min_amount?: string;
}

/** What POST /transactions answers (and each item of a batch). */
export interface IngestResult {
  transaction_id: string;
  status: TransactionStatus;
  risk_score: number;
  risk_level: RiskLevel;
  reasons: Reason[];
  alert_id?: string;
}

export interface TransactionView {
  id: string;
  account_id: string;
  external_id: string | null;
  amount: string;
  currency: string;
  merchant: string;
  merchant_category: string | null;
  country: string | null;
  ip_address: string | null;
  device_id: string | null;
  /** ISO 8601, UTC. */
  txn_time: string;
  status: TransactionStatus;
  risk_score: number | null;
  risk_level: RiskLevel | null;
  reasons: Reason[];
  scoring_config: ScoringConfig | null;
  metadata: Record<string, unknown> | null;
  alert_id: string | null;
  /** ISO 8601, UTC. */
  created_at: string;
}

/** Only limit / starting_after: the list's own filters are all optional. */
registerFastValidation(TransactionListQuery, (query) => plainPageQuery(TransactionListQuery, query));
