import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { Idempotent } from '../common/idempotency.interceptor.js';
import { ParseUuidPipe } from '../common/uuid.js';
import { AccountListQuery, CreateAccountDto } from './account.dto.js';
import { AccountService } from './account.service.js';

@Controller('accounts')
export class AccountController {
  constructor(private readonly accounts: AccountService) {}

  @Post()
  @Authenticated({ role: 'MANAGER', scopes: ['write:accounts'] })
  @Idempotent()
  create(@Auth() auth: AuthContext, @Body() dto: CreateAccountDto) {
    return this.accounts.create(auth, dto);
  }

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:accounts'] })
  list(@Auth() auth: AuthContext, @Query() query: AccountListQuery) {
    return this.accounts.list(auth, query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:accounts'] })
  get(@Auth() auth: AuthContext, @Param('id', ParseUuidPipe) id: string) {
    return this.accounts.get(auth, id);
  }
}
