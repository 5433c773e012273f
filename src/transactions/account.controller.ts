import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { UuidParam } from '../common/id-param.js';
import { Idempotent } from '../common/idempotency.interceptor.js';
import { ApiProblems, Problem } from '../common/problem.schema.js';
import { AccountListQuery, CreateAccountDto } from './account.dto.js';
import { AccountService } from './account.service.js';

@ApiTags('Accounts')
@Controller('accounts')
export class AccountController {
  constructor(private readonly accounts: AccountService) {}

  @Post()
  @Authenticated({ role: 'MANAGER', scopes: ['write:accounts'] })
  @Idempotent()
  @ApiOperation({
    summary: 'Create an account',
    description:
      '`external_ref` is your own reference for the account, unique in the organization. Creating accounts first is ' +
      'optional: a transaction sent with an unknown `account_ref` creates its account.',
  })
  @ApiBody({
    type: CreateAccountDto,
    examples: { customer: { summary: "A customer's account", value: { external_ref: 'cust-1042', holder_name: 'Jane Doe', country: 'FR', status: 'ACTIVE' } } },
  })
  @ApiProblems(Problem.conflict('duplicate-external-ref', 'Duplicate external_ref', 'An account with external_ref "cust-1042" already exists'))
  create(@Auth() auth: AuthContext, @Body() dto: CreateAccountDto) {
    return this.accounts.create(auth, dto);
  }

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:accounts'] })
  @ApiOperation({ summary: 'List accounts', description: 'Newest first; filter by `status` or find one by `external_ref`.' })
  list(@Auth() auth: AuthContext, @Query() query: AccountListQuery) {
    return this.accounts.list(auth, query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:accounts'] })
  @ApiOperation({ summary: 'One account', description: 'By its id (a UUID); to find one by your reference, list with `external_ref`.' })
  get(@Auth() auth: AuthContext, @UuidParam() id: string) {
    return this.accounts.get(auth, id);
  }
}
