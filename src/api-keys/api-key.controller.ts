import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { IdParam } from '../common/id-param.js';
import { PageQuery } from '../common/pagination.js';
import { Bound } from '../database/request-scope.js';
import { CreateApiKeyDto, RollApiKeyDto } from './api-key.dto.js';
import { ApiKeyService } from './api-key.service.js';

/** ADMIN users only (no scopes on these routes, so API keys are refused by the AccessGuard). */
@Controller('api-keys')
@Authenticated({ role: 'ADMIN' })
export class ApiKeyController {
  @Get()
  list(@Query() query: PageQuery, @Bound(ApiKeyService) keys: ApiKeyService) {
    return keys.list(query);
  }

  @Post()
  create(@Body() dto: CreateApiKeyDto, @Bound(ApiKeyService) keys: ApiKeyService) {
    return keys.create(dto);
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@IdParam() id: number, @Bound(ApiKeyService) keys: ApiKeyService) {
    return keys.revoke(id);
  }

  @Post(':id/roll')
  @HttpCode(201)
  roll(@IdParam() id: number, @Body() dto: RollApiKeyDto, @Bound(ApiKeyService) keys: ApiKeyService) {
    return keys.roll(id, dto);
  }
}
