import { Injectable } from '@nestjs/common';
import { AuditWriter } from '../audit/audit.writer.js';
import type { AuthContext } from '../common/auth-context.js';
import { keysetAfter } from '../common/keyset.js';
import { toPage } from '../common/pagination.js';
import { NotFoundProblem, ProblemException } from '../common/problem.js';
import { type AccountListQuery, type AccountPage, type AccountView, accountView, type CreateAccountDto } from './account.dto.js';
import { AccountRepository } from './account.repository.js';

@Injectable()
export class AccountService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly audit: AuditWriter,
  ) {}

  async create(auth: AuthContext, dto: CreateAccountDto): Promise<AccountView> {
    const account = await this.accounts.create(auth.tenantId, {
      externalRef: dto.external_ref,
      holderName: dto.holder_name ?? null,
      country: dto.country ?? null,
      status: dto.status,
    });
    if (!account) {
      throw new ProblemException(409, 'duplicate-external-ref', 'Duplicate external_ref', `An account with external_ref "${dto.external_ref}" already exists`);
    }
    const view = accountView(account);
    await this.audit.record(auth, { action: 'account.create', resourceType: 'account', resourceId: account.id, newValue: view });
    return view;
  }

  async get(auth: AuthContext, id: string): Promise<AccountView> {
    const account = await this.accounts.findById(auth.tenantId, id);
    if (!account) throw new NotFoundProblem('Account');
    return accountView(account);
  }

  async list(auth: AuthContext, query: AccountListQuery): Promise<AccountPage> {
    const limit = query.limit ?? 50;
    const rows = await this.accounts.list(auth.tenantId, {
      status: query.status,
      externalRef: query.external_ref,
      after: keysetAfter('accounts', query.starting_after),
      limit,
    });
    const page = toPage('accounts', rows, limit, (row) => [row.cursorTime, row.account.id]);
    return { ...page, data: page.data.map((row) => accountView(row.account)) };
  }
}
