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

export interface AccountView {
  id: string;
  external_ref: string;
  holder_name: string | null;
  country: string | null;
  status: AccountStatus;
  created_at: Date;
  updated_at: Date;
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
