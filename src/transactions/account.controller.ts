import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { Idempotent } from '../common/idempotency.interceptor.js';
import { Bound } from '../database/request-scope.js';
import { AccountListQuery, CreateAccountDto } from './account.dto.js';
import { AccountService } from './account.service.js';

@Controller('accounts')
export class AccountController {
  @Post()
  @Authenticated({ role: 'MANAGER', scopes: ['write:accounts'] })
  @Idempotent()
  create(@Body() dto: CreateAccountDto, @Bound(AccountService) accounts: AccountService) {
    return accounts.create(dto);
  }

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:accounts'] })
  list(@Query() query: AccountListQuery, @Bound(AccountService) accounts: AccountService) {
    return accounts.list(query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:accounts'] })
  get(@Param('id', ParseUUIDPipe) id: string, @Bound(AccountService) accounts: AccountService) {
    return accounts.get(id);
  }
}
