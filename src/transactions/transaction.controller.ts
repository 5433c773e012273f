import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { UuidParam } from '../common/id-param.js';
import { Idempotent } from '../common/idempotency.interceptor.js';
import { ApiProblems, Problem, problemDoc } from '../common/problem.schema.js';
import { CreateTransactionBatchDto, CreateTransactionDto, TransactionListQuery } from './transaction.dto.js';
import { TransactionService } from './transaction.service.js';

/** A card payment as an integrator sends it; every example below passes validation as is. */
const PAYMENT = {
  account_ref: 'cust-1042',
  amount: '129.90',
  currency: 'EUR',
  merchant: 'Corner Bakery',
  merchant_category: '5411',
  country: 'FR',
  ip_address: '203.0.113.7',
  device_id: 'device-7f3a',
  external_id: 'order-8842',
  metadata: { channel: 'web' },
};

/** The ingest problems a single transaction and a batch share. */
const ingestProblems = (field: (name: string) => string) => [
  problemDoc(404, 'not-found', 'Not Found', 'Account not found', { errors: [{ field: field('account_id'), message: 'account not found' }] }),
  Problem.conflict('duplicate-external-id', 'Duplicate external_id', 'A transaction with this external_id already exists', {
    errors: [{ field: field('external_id'), message: 'a transaction with this external_id already exists' }],
  }),
  problemDoc(429, 'quota-exceeded', 'Monthly transaction quota exceeded', 'The plan allows 50000 transactions per month; 50000 are used and this request adds 1', {
    limit: 50000,
    used: 50000,
    requested: 1,
  }),
];

@ApiTags('Transactions')
@Controller('transactions')
export class TransactionController {
  constructor(private readonly transactions: TransactionService) {}

  @Post()
  @Authenticated({ role: 'MANAGER', scopes: ['write:transactions'] })
  @Idempotent()
  @ApiOperation({
    summary: 'Score and record a transaction',
    description:
      'Scores the transaction against the account\'s history and the organization\'s rules, records it, and raises a ' +
      'fraud alert when it is risky. Name the account by your own `account_ref` (created on first use) or by `account_id`. ' +
      '`amount` is a decimal string (or number) with at most the currency\'s minor units. Send an `Idempotency-Key` to retry safely.',
  })
  @ApiBody({ type: CreateTransactionDto, examples: { payment: { summary: 'A card payment at a bakery', value: PAYMENT } } })
  @ApiProblems(...ingestProblems((name) => name))
  create(@Auth() auth: AuthContext, @Body() dto: CreateTransactionDto) {
    return this.transactions.create(auth, dto);
  }

  @Post('batch')
  @Authenticated({ role: 'MANAGER', scopes: ['write:transactions'] })
  @Idempotent()
  @ApiOperation({
    summary: 'Score and record up to 1000 transactions at once',
    description:
      'All or nothing: one invalid item refuses the whole batch, its problem naming the item (`transactions.3.amount`). ' +
      'The answer lists one result per item, in the order sent, with its `index` and `external_id`.',
  })
  @ApiBody({
    type: CreateTransactionBatchDto,
    examples: {
      batch: {
        summary: "Two payments of one customer's basket",
        value: {
          transactions: [
            { ...PAYMENT, amount: '42.00', merchant: 'City Books', merchant_category: '5942', external_id: 'order-8843' },
            { ...PAYMENT, amount: '4800.00', merchant: 'Lumiere Electronics', merchant_category: '5732', external_id: 'order-8844' },
          ],
        },
      },
    },
  })
  @ApiProblems(...ingestProblems((name) => `transactions.0.${name}`))
  createBatch(@Auth() auth: AuthContext, @Body() dto: CreateTransactionBatchDto) {
    return this.transactions.createBatch(auth, dto);
  }

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:transactions'] })
  @ApiOperation({ summary: 'List transactions', description: 'Newest first; filter by account, time range, status, risk level or minimum amount.' })
  list(@Auth() auth: AuthContext, @Query() query: TransactionListQuery) {
    return this.transactions.list(auth, query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:transactions'] })
  @ApiOperation({ summary: 'One transaction', description: 'With its risk score, the rules that fired (`reasons`) and the alert it raised, if any.' })
  get(@Auth() auth: AuthContext, @UuidParam() id: string) {
    return this.transactions.get(auth, id);
  }
}
