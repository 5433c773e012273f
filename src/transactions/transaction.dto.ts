import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsIP,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PageQuery, plainPageQuery } from '../common/pagination.js';
import { IsPgUuid, toCanonicalUuid } from '../common/uuid.js';
import { registerFastValidation } from '../common/validation.js';
import { EXTERNAL_REF } from './account.dto.js';
import { isAcceptableBatch, isAcceptableTransaction } from './transaction-fast-validation.js';
import { CONTRIBUTIONS, type Reason, type RiskLevel, type RuleName, type ScoringConfig, type TransactionStatus } from './scoring.js';
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
  /** Any uuid PostgreSQL accepts; handed on in its canonical form. */
  @IsOptional()
  @Transform(toCanonicalUuid)
  @IsPgUuid()
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

const ISO_TIME = '2026-03-14T09:26:53.589Z';

/** A scoring rule that fired, with what it added to the risk score. */
@ApiSchema({ name: 'Reason' })
export class ReasonView {
  @ApiProperty({ enum: Object.keys(CONTRIBUTIONS), example: 'NEW_COUNTRY' }) rule: RuleName;
  @ApiProperty({ example: 0.15 }) contribution: number;
  @ApiProperty({ example: 'country FR not seen on this account before' }) detail: string;
}

/** The tenant's scoring settings in force when the transaction was scored. */
@ApiSchema({ name: 'ScoringConfig' })
export class ScoringConfigView implements ScoringConfig {
  @ApiProperty({ minimum: 0, maximum: 1, example: 0.7 }) risk_threshold: number;
  @ApiProperty({ example: false }) auto_block: boolean;
  @ApiProperty({ type: String, nullable: true, example: null }) notification_email: string | null;
  @ApiProperty({ example: 1 }) rules_version: number;
}

/**
 * A transaction as every route shows it (GET /transactions/:id, the list, an alert's transaction,
 * and — with transaction_id — POST /transactions).
 */
@ApiSchema({ name: 'Transaction' })
export class TransactionView {
  @ApiProperty({ format: 'uuid', example: '01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d' }) id: string;
  @ApiProperty({ format: 'uuid', example: '01936a4e-12ab-7d40-8c11-0a5f2e9b7c33', description: "The account's id" }) account_id: string;
  @ApiProperty({ example: 'cust-1042', description: "The account's external_ref (the integrator's reference)" }) account_ref: string;
  @ApiProperty({ type: String, nullable: true, example: 'order-8842', description: "The integrator's id of the transaction, unique per tenant" })
  external_id: string | null;
  @ApiProperty({
    example: '129.90',
    pattern: '^\\d+(\\.\\d+)?$',
    description: "Decimal string with the currency's ISO 4217 minor-unit scale: \"129.90\" EUR, \"1500\" JPY, \"12.500\" KWD",
  })
  amount: string;
  @ApiProperty({ example: 'EUR', description: 'ISO 4217 code' }) currency: string;
  @ApiProperty({ example: 'Corner Bakery' }) merchant: string;
  @ApiProperty({ type: String, nullable: true, example: '5411', description: 'ISO 18245 merchant category code' }) merchant_category: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'FR', description: 'ISO 3166-1 alpha-2' }) country: string | null;
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' }) ip_address: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'device-7f3a' }) device_id: string | null;
  @ApiProperty({ format: 'date-time', example: ISO_TIME, description: 'When the payment happened (ISO 8601, UTC)' }) txn_time: string;
  @ApiProperty({ enum: TRANSACTION_STATUSES, example: 'REVIEW' }) status: TransactionStatus;
  @ApiProperty({ type: Number, nullable: true, minimum: 0, maximum: 1, example: 0.75 }) risk_score: number | null;
  @ApiProperty({ enum: RISK_LEVELS, nullable: true, example: 'HIGH' }) risk_level: RiskLevel | null;
  @ApiProperty({ type: [ReasonView] }) reasons: Reason[];
  @ApiProperty({ type: ScoringConfigView, nullable: true }) scoring_config: ScoringConfig | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { channel: 'web' } }) metadata: Record<string, unknown> | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: '01936a4e-8a10-7b2c-9e3d-4f5a6b7c8d9e', description: 'The fraud alert it raised, if any' })
  alert_id: string | null;
  @ApiProperty({ format: 'date-time', example: ISO_TIME }) created_at: string;
}

/** What POST /transactions answers: the transaction as GET shows it, and its id once more as transaction_id. */
@ApiSchema({ name: 'CreatedTransaction' })
export class CreatedTransactionView extends TransactionView {
  @ApiProperty({ format: 'uuid', example: '01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d', deprecated: true, description: 'The same as id (kept for clients written against the first answer of this route)' })
  transaction_id: string;
}

/** One item of a batch's answer, in the order sent. */
@ApiSchema({ name: 'BatchResultItem' })
export class BatchResultItemView {
  @ApiProperty({ minimum: 0, example: 0, description: "The item's position in the request's transactions[]" }) index: number;
  @ApiProperty({ type: String, nullable: true, example: 'order-8842', description: 'The external_id sent with the item, if any' }) external_id: string | null;
  @ApiProperty({ format: 'uuid', example: '01936a4e-7f53-7c4e-9a57-1b1f0b6f6c1d' }) transaction_id: string;
  @ApiProperty({ enum: TRANSACTION_STATUSES, example: 'APPROVED' }) status: TransactionStatus;
  @ApiProperty({ minimum: 0, maximum: 1, example: 0.05 }) risk_score: number;
  @ApiProperty({ enum: RISK_LEVELS, example: 'LOW' }) risk_level: RiskLevel;
  @ApiProperty({ type: [ReasonView] }) reasons: Reason[];
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: null, description: 'The fraud alert it raised, if any' }) alert_id: string | null;
}

/** What POST /transactions/batch answers. */
@ApiSchema({ name: 'BatchResult' })
export class BatchResultView {
  @ApiProperty({ type: [BatchResultItemView] }) data: BatchResultItemView[];
  @ApiProperty({ example: 2, description: 'Transactions created' }) count: number;
  @ApiProperty({ example: 0, description: 'Fraud alerts raised' }) alerts: number;
  @ApiProperty({ example: 0, description: 'Transactions BLOCKED' }) blocked: number;
}

@ApiSchema({ name: 'TransactionPage' })
export class TransactionPage {
  @ApiProperty({ type: [TransactionView] }) data: TransactionView[];
  @ApiProperty({ example: false }) has_more: boolean;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Pass as starting_after for the next page' }) next_cursor: string | null;
}

/** Only limit / starting_after: the list's own filters are all optional. */
registerFastValidation(TransactionListQuery, (query) => plainPageQuery(TransactionListQuery, query));
