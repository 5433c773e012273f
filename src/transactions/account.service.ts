import { AuditWriter } from '../audit/audit.writer.js';
import { keysetAfter, keysetPage } from '../common/keyset.js';
import type { Page } from '../common/pagination.js';
import { NotFoundProblem, ProblemException } from '../common/problem.js';
import { RequestBound } from '../database/request-scope.js';
import type { AccountListQuery, AccountView, CreateAccountDto } from './account.dto.js';
import { AccountRepository } from './account.repository.js';

@RequestBound()
export class AccountService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly audit: AuditWriter,
  ) {}

  async create(dto: CreateAccountDto): Promise<AccountView> {
    const account = await this.accounts.create(dto);
    if (!account) {
      throw new ProblemException(409, 'duplicate-external-ref', 'Duplicate external_ref', `An account with external_ref "${dto.external_ref}" already exists`);
    }
    await this.audit.record({ action: 'account.create', resourceType: 'account', resourceId: account.id, newValue: account });
    return account;
  }

  async get(id: string): Promise<AccountView> {
    const account = await this.accounts.findById(id);
    if (!account) throw new NotFoundProblem('Account');
    return account;
  }

  async list(query: AccountListQuery): Promise<Page<AccountView>> {
    const limit = query.limit ?? 50;
    const rows = await this.accounts.list({ status: query.status, external_ref: query.external_ref, after: keysetAfter('accounts', query.starting_after), limit });
    return keysetPage('accounts', rows, limit);
  }
}
