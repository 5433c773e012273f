import { Injectable } from '@nestjs/common';
import { AuditWriter } from '../audit/audit.writer.js';
import { decodeCursor, Page, toPage } from '../common/pagination.js';
import { NotFoundProblem, ProblemException } from '../common/problem.js';
import type { AccountListQuery, AccountView, CreateAccountDto } from './account.dto.js';
import { AccountRepository } from './account.repository.js';

/** A keyset page without the helper column the cursor was built from. */
export function keysetPage<T extends { cursor_time: string; id: string }>(rows: T[], limit: number): Page<Omit<T, 'cursor_time'>> {
  const page = toPage(rows, limit, (row) => [row.cursor_time, row.id]);
  return { ...page, data: page.data.map(({ cursor_time: _, ...row }) => row) };
}

export function keysetAfter(cursor: string | undefined): [string, string] | undefined {
  const key = decodeCursor(cursor, 2);
  if (!key) return undefined;
  if (typeof key[0] !== 'string' || typeof key[1] !== 'string') {
    throw new ProblemException(400, 'invalid-cursor', 'Invalid cursor', 'starting_after is not a cursor issued by this API');
  }
  return [key[0], key[1]];
}

@Injectable()
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
    const rows = await this.accounts.list({ status: query.status, external_ref: query.external_ref, after: keysetAfter(query.starting_after), limit });
    return keysetPage(rows, limit);
  }
}
