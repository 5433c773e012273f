import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { IdParam } from '../common/id-param.js';
import { PageQuery } from '../common/pagination.js';
import { CreateApiKeyDto, RollApiKeyDto } from './api-key.dto.js';
import { ApiKeyService } from './api-key.service.js';

/** ADMIN users only (no scopes on these routes, so API keys are refused by the AccessGuard). */
@Controller('api-keys')
@Authenticated({ role: 'ADMIN' })
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Get()
  list(@Auth() auth: AuthContext, @Query() query: PageQuery) {
    return this.keys.list(auth, query);
  }

  @Post()
  create(@Auth() auth: AuthContext, @Body() dto: CreateApiKeyDto) {
    return this.keys.create(auth, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@Auth() auth: AuthContext, @IdParam() id: number) {
    return this.keys.revoke(auth, id);
  }

  @Post(':id/roll')
  @HttpCode(201)
  roll(@Auth() auth: AuthContext, @IdParam() id: number, @Body() dto: RollApiKeyDto) {
    return this.keys.roll(auth, id, dto);
  }
}
