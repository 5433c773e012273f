import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { Idempotent } from '../common/idempotency.interceptor.js';
import { ParseUuidPipe } from '../common/uuid.js';
import { CreateTransactionBatchDto, CreateTransactionDto, TransactionListQuery } from './transaction.dto.js';
import { TransactionService } from './transaction.service.js';

@Controller('transactions')
export class TransactionController {
  constructor(private readonly transactions: TransactionService) {}

  @Post()
  @Authenticated({ role: 'MANAGER', scopes: ['write:transactions'] })
  @Idempotent()
  create(@Auth() auth: AuthContext, @Body() dto: CreateTransactionDto) {
    return this.transactions.create(auth, dto);
  }

  @Post('batch')
  @Authenticated({ role: 'MANAGER', scopes: ['write:transactions'] })
  @Idempotent()
  createBatch(@Auth() auth: AuthContext, @Body() dto: CreateTransactionBatchDto) {
    return this.transactions.createBatch(auth, dto);
  }

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:transactions'] })
  list(@Auth() auth: AuthContext, @Query() query: TransactionListQuery) {
    return this.transactions.list(auth, query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:transactions'] })
  get(@Auth() auth: AuthContext, @Param('id', ParseUuidPipe) id: string) {
    return this.transactions.get(auth, id);
  }
}
