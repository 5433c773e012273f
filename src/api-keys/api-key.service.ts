import { Inject } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuditWriter } from '../audit/audit.writer.js';
import { AuthContext, Role, SCOPES, Scope } from '../common/auth-context.js';
import { decodeCursor, Page, PageQuery, toPage } from '../common/pagination.js';
import { NotFoundProblem, ProblemException, ValidationProblem } from '../common/problem.js';
import { RequestBound } from '../database/request-scope.js';
import { TenantConnection } from '../database/tenant-connection.js';
import { PLANS, type Plan } from '../tenants/plans.js';
import type { CreateApiKeyDto, RollApiKeyDto } from './api-key.dto.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { ApiKeyRepository, ApiKeyRow } from './api-key.repository.js';
import { generateApiKey } from './api-key.token.js';

// The audit trail is for ADMIN and MANAGER (its route says so): read:audit is not an everyday read.
const READ_SCOPES = SCOPES.filter((scope) => scope.startsWith('read:') && scope !== 'read:audit');

/** What each role may do through the API, expressed as scopes: a key is never broader than its creator. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  ADMIN: SCOPES,
  MANAGER: SCOPES,
  ANALYST: [...READ_SCOPES, 'write:alerts'],
  VIEWER: READ_SCOPES,
};

/**
 * The scopes the caller may put on a new key. API keys cannot mint keys at all (the routes are
 * also ADMIN-user-only): a key could otherwise outlive its own revocation through its children.
 */
export function grantableScopes(auth: AuthContext | undefined): readonly Scope[] {
  if (!auth || auth.via !== 'jwt' || !auth.role) return [];
  return ROLE_SCOPES[auth.role];
}

@RequestBound()
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly db: TenantConnection,
    private readonly audit: AuditWriter,
    @Inject(REQUEST) private readonly request: FastifyRequest,
  ) {}

  private assertNotBroaderThanCreator(scopes: readonly string[]): void {
    const auth = this.request.auth;
    if (auth?.via !== 'jwt') throw new ProblemException(403, 'forbidden', 'Forbidden', 'API keys are issued by users, never by other API keys');
    const allowed = grantableScopes(auth);
    const excess = scopes.filter((scope) => !allowed.includes(scope as Scope));
    if (excess.length) {
      throw new ProblemException(403, 'scope-escalation', 'Scopes beyond your own', `You cannot grant ${excess.join(', ')}`, { excess_scopes: excess });
    }
  }

  /** This instance forgets the key now and again after COMMIT; other instances through NOTIFY. */
  private forgetEverywhere(keyId: number): void {
    this.authenticator.forgetKey(keyId);
    this.db.tx.afterCommit(() => this.authenticator.forgetKey(keyId));
  }

  async list(query: PageQuery): Promise<Page<ApiKeyRow>> {
    const limit = query.limit ?? 50;
    const after = decodeCursor('api-keys', query.starting_after, 1);
    const rows = await this.keys.list(limit + 1, after ? Number(after[0]) : undefined);
    return toPage('api-keys', rows, limit, (row) => [row.id]);
  }

  async create(dto: CreateApiKeyDto): Promise<ApiKeyRow & { key: string }> {
    this.assertNotBroaderThanCreator(dto.scopes);
    const expiresAt = dto.expires_at ? new Date(dto.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw new ValidationProblem([{ field: 'expires_at', message: 'expires_at must be in the future' }]);
    const plan = PLANS[(await this.keys.tenantPlan()) as Plan] ?? PLANS.STARTER;
    const rate = dto.rate_limit_per_minute ?? plan.default_key_rate_limit_per_minute;
    if (rate > plan.rate_limit_per_minute) {
      throw new ProblemException(403, 'plan-limit', 'Plan limit reached', `The plan allows at most ${plan.rate_limit_per_minute} requests per minute per tenant`, {
        limit: 'rate_limit_per_minute',
        max_rate_limit_per_minute: plan.rate_limit_per_minute,
      });
    }
    const issued = generateApiKey();
    const row = await this.keys.insert({
      key_name: dto.key_name, key_hash: issued.hash, key_prefix: issued.prefix, scopes: dto.scopes,
      rate_limit_per_minute: rate, expires_at: expiresAt, created_by: this.request.auth?.userId ?? null,
    });
    await this.audit.record({ action: 'api_key.created', resourceType: 'api_key', resourceId: row.id,
      newValue: { key_name: row.key_name, key_prefix: row.key_prefix, scopes: row.scopes, rate_limit_per_minute: row.rate_limit_per_minute, expires_at: row.expires_at } });
    return { ...row, key: issued.key };
  }

  /** Revocation is immediate on every instance: the UPDATE's trigger NOTIFYs each API-key cache. */
  async revoke(id: number): Promise<void> {
    const key = await this.keys.findByIdForUpdate(id);
    if (!key) throw new NotFoundProblem('API key');
    if (!key.is_active) return;
    await this.keys.revoke(id);
    this.forgetEverywhere(id);
    await this.audit.record({ action: 'api_key.revoked', resourceType: 'api_key', resourceId: id, oldValue: { is_active: true }, newValue: { is_active: false }, severity: 'WARNING' });
  }

  /** A new key with the same name, scopes, limit and expiry; the old one ends at min(its expiry, now + grace). */
  async roll(id: number, dto: RollApiKeyDto) {
    const old = await this.keys.findByIdForUpdate(id);
    if (!old) throw new NotFoundProblem('API key');
    if (!old.is_active || (old.expires_at && new Date(old.expires_at).getTime() <= Date.now())) {
      throw new ProblemException(409, 'api-key-inactive', 'API key inactive', 'A revoked or expired key cannot be rolled; create a new key');
    }
    this.assertNotBroaderThanCreator(old.scopes);
    const issued = generateApiKey();
    const row = await this.keys.insert({
      key_name: old.key_name, key_hash: issued.hash, key_prefix: issued.prefix, scopes: old.scopes,
      rate_limit_per_minute: old.rate_limit_per_minute, expires_at: old.expires_at, created_by: this.request.auth?.userId ?? null,
    });
    const ended = await this.keys.endWithin(id, dto.grace_seconds ?? 0);
    this.forgetEverywhere(id);
    await this.audit.record({ action: 'api_key.rolled', resourceType: 'api_key', resourceId: id,
      oldValue: { key_prefix: old.key_prefix, expires_at: old.expires_at },
      newValue: { replaced_by: row.id, key_prefix: row.key_prefix, old_key_expires_at: ended.expires_at }, severity: 'WARNING' });
    return { ...row, key: issued.key, replaces: { id: ended.id, key_prefix: ended.key_prefix, expires_at: ended.expires_at } };
  }
}
