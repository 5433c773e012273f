import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
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
  list(@Query() query: PageQuery) {
    return this.keys.list(query);
  }

  @Post()
  create(@Body() dto: CreateApiKeyDto) {
    return this.keys.create(dto);
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@IdParam() id: number) {
    return this.keys.revoke(id);
  }

  @Post(':id/roll')
  @HttpCode(201)
  roll(@IdParam() id: number, @Body() dto: RollApiKeyDto) {
    return this.keys.roll(id, dto);
  }
}
