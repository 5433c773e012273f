import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { Idempotent } from '../common/idempotency.interceptor.js';
import { Bound } from '../database/request-scope.js';
import { CreateTransactionBatchDto, CreateTransactionDto, TransactionListQuery } from './transaction.dto.js';
import { TransactionService } from './transaction.service.js';

@Controller('transactions')
export class TransactionController {
  @Post()
  @Authenticated({ role: 'MANAGER', scopes: ['write:transactions'] })
  @Idempotent()
  create(@Body() dto: CreateTransactionDto, @Bound(TransactionService) transactions: TransactionService) {
    return transactions.create(dto);
  }

  @Post('batch')
  @Authenticated({ role: 'MANAGER', scopes: ['write:transactions'] })
  @Idempotent()
  createBatch(@Body() dto: CreateTransactionBatchDto, @Bound(TransactionService) transactions: TransactionService) {
    return transactions.createBatch(dto.transactions);
  }

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:transactions'] })
  list(@Query() query: TransactionListQuery, @Bound(TransactionService) transactions: TransactionService) {
    return transactions.list(query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:transactions'] })
  get(@Param('id', ParseUUIDPipe) id: string, @Bound(TransactionService) transactions: TransactionService) {
    return transactions.get(id);
  }
}
