import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { Idempotent } from '../common/idempotency.interceptor.js';
import { AccountListQuery, CreateAccountDto } from './account.dto.js';
import { AccountService } from './account.service.js';

@Controller('accounts')
export class AccountController {
  constructor(private readonly accounts: AccountService) {}

  @Post()
  @Authenticated({ role: 'MANAGER', scopes: ['write:accounts'] })
  @Idempotent()
  create(@Body() dto: CreateAccountDto) {
    return this.accounts.create(dto);
  }

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:accounts'] })
  list(@Query() query: AccountListQuery) {
    return this.accounts.list(query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:accounts'] })
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.accounts.get(id);
  }
}
