import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { SCOPES, type Scope } from '../common/auth-context.js';
import type { ApiKey } from './api-key.entity.js';

export class CreateApiKeyDto {
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  key_name: string;

  /** From the fixed list; never more than the creating user holds. */
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true })
  scopes: Scope[];

  /** Defaults to the plan's default per-key limit; at most the plan's per-tenant ceiling. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rate_limit_per_minute?: number;

  /** ISO 8601, in the future; absent = no expiry. */
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;
}

export class RollApiKeyDto {
  /** How long the old key keeps working (0 = stops now, at most 7 days); never beyond its own expiry. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(7 * 86400)
  grace_seconds?: number;
}

/** An API key as the API shows it: hash never, plaintext key only in the answer that issues it. */
export interface ApiKeyView {
  id: number;
  tenant_id: string;
  key_name: string;
  key_prefix: string;
  scopes: string[] | null;
  rate_limit_per_minute: number | null;
  is_active: boolean | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  created_at: Date | null;
  created_by: number | null;
}

/** A newly issued key: its plaintext, shown this once. */
export interface IssuedApiKeyView extends ApiKeyView {
  key: string;
}

export function apiKeyView(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    tenant_id: key.tenantId,
    key_name: key.keyName,
    key_prefix: key.keyPrefix,
    scopes: key.scopes,
    rate_limit_per_minute: key.rateLimitPerMinute,
    is_active: key.isActive,
    expires_at: key.expiresAt,
    last_used_at: key.lastUsedAt,
    created_at: key.createdAt,
    created_by: key.createdBy,
  };
}
