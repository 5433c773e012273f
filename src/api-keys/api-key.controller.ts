import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { SCOPES } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { IdParam } from '../common/id-param.js';
import { PageQuery } from '../common/pagination.js';
import { ApiProblems, Problem } from '../common/problem.schema.js';
import { CreateApiKeyDto, RollApiKeyDto } from './api-key.dto.js';
import { ApiKeyService } from './api-key.service.js';

/** ADMIN users only (no scopes on these routes, so API keys are refused by the AccessGuard). */
@ApiTags('API keys')
@Controller('api-keys')
@Authenticated({ role: 'ADMIN' })
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Get()
  @ApiOperation({ summary: "List the organization's API keys", description: 'Never the keys themselves: their display prefix, scopes, limits and last use.' })
  list(@Auth() auth: AuthContext, @Query() query: PageQuery) {
    return this.keys.list(auth, query);
  }

  @Post()
  @ApiOperation({
    summary: 'Create an API key',
    description:
      'The key (`key`) is in this answer only: store it now. Scopes come from a fixed list and never exceed the ' +
      "creating user's; `rate_limit_per_minute` defaults to the plan's per-key default and is at most the plan's ceiling.",
  })
  @ApiBody({
    type: CreateApiKeyDto,
    examples: {
      integration: {
        summary: 'A key for the payments back end: the whole integrator flow',
        value: { key_name: 'payments-backend', scopes: [...SCOPES], rate_limit_per_minute: 100 },
      },
    },
  })
  @ApiProblems(
    Problem.forbidden('scope-escalation', 'Scopes beyond your own', 'You cannot grant read:audit', { excess_scopes: ['read:audit'] }),
    Problem.planLimit('The plan allows at most 600 requests per minute per tenant', { limit: 'rate_limit_per_minute', max_rate_limit_per_minute: 600 }),
  )
  create(@Auth() auth: AuthContext, @Body() dto: CreateApiKeyDto) {
    return this.keys.create(auth, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key', description: 'It stops working at once. Revoking a revoked key is a no-op.' })
  revoke(@Auth() auth: AuthContext, @IdParam() id: number) {
    return this.keys.revoke(auth, id);
  }

  @Post(':id/roll')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Replace an API key with a new one',
    description:
      'Issues a new key with the same name, scopes and limit (shown in this answer only); the old one keeps working for ' +
      '`grace_seconds` (default 0: it stops now, at most 7 days) so deployments can switch over.',
  })
  @ApiBody({ type: RollApiKeyDto, examples: { overlap: { summary: 'Keep the old key for an hour', value: { grace_seconds: 3600 } } } })
  @ApiProblems(Problem.conflict('api-key-inactive', 'API key inactive', 'A revoked or expired key cannot be rolled; create a new key'))
  roll(@Auth() auth: AuthContext, @IdParam() id: number, @Body() dto: RollApiKeyDto) {
    return this.keys.roll(auth, id, dto);
  }
}
