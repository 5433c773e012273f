import { ApiProperty, ApiSchema } from '@nestjs/swagger';
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
@ApiSchema({ name: 'ApiKey' })
export class ApiKeyView {
  @ApiProperty({ type: 'integer', example: 3 }) id: number;
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$', example: 'tenant_Qm9yZ2VzLXRlc3Q', description: 'The organization (an opaque string id)' }) tenant_id: string;
  @ApiProperty({ example: 'checkout-service' }) key_name: string;
  @ApiProperty({ example: 'fgk_live_AbCdEfG', description: 'The first characters of the key, to recognise it' }) key_prefix: string;
  @ApiProperty({ type: [String], enum: SCOPES, nullable: true, example: ['read:transactions', 'write:transactions'] }) scopes: string[] | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 600 }) rate_limit_per_minute: number | null;
  @ApiProperty({ type: Boolean, nullable: true, example: true }) is_active: boolean | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) expires_at: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) last_used_at: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-03-14T09:26:53.589Z' }) created_at: Date | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 7, description: 'The user who created it' }) created_by: number | null;
}

/** A newly issued key: its plaintext, shown this once. */
@ApiSchema({ name: 'IssuedApiKey' })
export class IssuedApiKeyView extends ApiKeyView {
  @ApiProperty({ example: 'fgk_live_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg', description: 'The key itself: shown in this answer only' }) key: string;
}

/** The key a roll replaced, and until when it still works. */
@ApiSchema({ name: 'ReplacedApiKey' })
export class ReplacedApiKeyView {
  @ApiProperty({ type: 'integer', example: 3 }) id: number;
  @ApiProperty({ example: 'fgk_live_AbCdEfG' }) key_prefix: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-03-14T10:26:53.589Z' }) expires_at: Date | null;
}

/** POST /api-keys/:id/roll: the new key (shown once) and the one it replaces. */
@ApiSchema({ name: 'RolledApiKey' })
export class RolledApiKeyView extends IssuedApiKeyView {
  @ApiProperty({ type: ReplacedApiKeyView }) replaces: ReplacedApiKeyView;
}

@ApiSchema({ name: 'ApiKeyPage' })
export class ApiKeyPage {
  @ApiProperty({ type: [ApiKeyView] }) data: ApiKeyView[];
  @ApiProperty({ example: false }) has_more: boolean;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Pass as starting_after for the next page' }) next_cursor: string | null;
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
