import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import type { Account } from './account.entity.js';
import { PageQuery, plainPageQuery } from '../common/pagination.js';
import { registerFastValidation } from '../common/validation.js';
import { IsCountryCode } from './transaction-validators.js';

export const ACCOUNT_STATUSES = ['ACTIVE', 'FROZEN', 'CLOSED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** The integrator's own reference for an account: printable, no surrounding spaces. */
export const EXTERNAL_REF = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

export class CreateAccountDto {
  @IsString()
  @Length(1, 128)
  @Matches(EXTERNAL_REF, { message: 'external_ref must be printable ASCII without surrounding spaces' })
  external_ref: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  holder_name?: string;

  @IsOptional()
  @IsCountryCode()
  country?: string;

  @IsOptional()
  @IsIn(ACCOUNT_STATUSES)
  status?: AccountStatus;
}

export class AccountListQuery extends PageQuery {
  @IsOptional()
  @IsIn(ACCOUNT_STATUSES)
  status?: AccountStatus;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  external_ref?: string;
}

const ISO_TIME = '2026-03-14T09:26:53.589Z';

/** A payment account as the API shows it. */
@ApiSchema({ name: 'Account' })
export class AccountView {
  @ApiProperty({ format: 'uuid', example: '01936a4e-12ab-7d40-8c11-0a5f2e9b7c33' }) id: string;
  @ApiProperty({ example: 'cust-1042', description: "The integrator's reference; transactions take it as account_ref" }) external_ref: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' }) holder_name: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'GB', description: 'ISO 3166-1 alpha-2' }) country: string | null;
  @ApiProperty({ enum: ACCOUNT_STATUSES, example: 'ACTIVE' }) status: AccountStatus;
  @ApiProperty({ type: String, format: 'date-time', example: ISO_TIME }) created_at: Date;
  @ApiProperty({ type: String, format: 'date-time', example: ISO_TIME }) updated_at: Date;
}

@ApiSchema({ name: 'AccountPage' })
export class AccountPage {
  @ApiProperty({ type: [AccountView] }) data: AccountView[];
  @ApiProperty({ example: false }) has_more: boolean;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Pass as starting_after for the next page' }) next_cursor: string | null;
}

export function accountView(account: Account): AccountView {
  return {
    id: account.id,
    external_ref: account.externalRef,
    holder_name: account.holderName,
    country: account.country,
    status: account.status,
    created_at: account.createdAt,
    updated_at: account.updatedAt,
  };
}

/** Only limit / starting_after: the list's own filters are all optional. */
registerFastValidation(AccountListQuery, (query) => plainPageQuery(AccountListQuery, query));
