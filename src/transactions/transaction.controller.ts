import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { Idempotent } from '../common/idempotency.interceptor.js';
import { CreateTransactionBatchDto, CreateTransactionDto, TransactionListQuery } from './transaction.dto.js';
import { TransactionService } from './transaction.service.js';

@Controller('transactions')
export class TransactionController {
  constructor(private readonly transactions: TransactionService) {}

  @Post()
  @Authenticated({ role: 'MANAGER', scopes: ['write:transactions'] })
  @Idempotent()
  create(@Body() dto: CreateTransactionDto) {
    return this.transactions.create(dto);
  }

  @Post('batch')
  @Authenticated({ role: 'MANAGER', scopes: ['write:transactions'] })
  @Idempotent()
  createBatch(@Body() dto: CreateTransactionBatchDto) {
    return this.transactions.createBatch(dto.transactions);
  }

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:transactions'] })
  list(@Query() query: TransactionListQuery) {
    return this.transactions.list(query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:transactions'] })
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.transactions.get(id);
  }
}
