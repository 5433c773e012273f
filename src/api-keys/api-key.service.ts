import { Injectable } from '@nestjs/common';
import { AuditWriter } from '../audit/audit.writer.js';
import { AuthContext, Role, SCOPES, Scope } from '../common/auth-context.js';
import { decodeCursor, PageQuery, toPage } from '../common/pagination.js';
import { NotFoundProblem, ProblemException, ValidationProblem } from '../common/problem.js';
import { CurrentTransaction } from '../database/current-transaction.js';
import { PLANS, type Plan } from '../tenants/plans.js';
import { type ApiKeyPage, apiKeyView, type CreateApiKeyDto, type IssuedApiKeyView, type RollApiKeyDto, type RolledApiKeyView } from './api-key.dto.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { ApiKeyRepository } from './api-key.repository.js';
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
 * The scopes the caller may put on a new key: a user's role's, an operator's role's (the CLI acts
 * as ADMIN). API keys cannot mint keys at all (the routes are also ADMIN-user-only): a key could
 * otherwise outlive its own revocation through its children.
 */
export function grantableScopes(auth: AuthContext | undefined): readonly Scope[] {
  if (!auth || (auth.via !== 'jwt' && auth.via !== 'operator') || !auth.role) return [];
  return ROLE_SCOPES[auth.role];
}

/** Refuses a key broader than the caller: issued by a user or an operator, never by another key. */
export function assertNotBroaderThanCreator(auth: AuthContext, scopes: readonly string[]): void {
  if (auth.via !== 'jwt' && auth.via !== 'operator') {
    throw new ProblemException(403, 'forbidden', 'Forbidden', 'API keys are issued by users, never by other API keys');
  }
  const allowed = grantableScopes(auth);
  const excess = scopes.filter((scope) => !allowed.includes(scope as Scope));
  if (excess.length) {
    throw new ProblemException(403, 'scope-escalation', 'Scopes beyond your own', `You cannot grant ${excess.join(', ')}`, { excess_scopes: excess });
  }
}

function isExpired(expiresAt: Date | null): boolean {
  return expiresAt !== null && expiresAt.getTime() <= Date.now();
}

@Injectable()
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly transaction: CurrentTransaction,
    private readonly audit: AuditWriter,
  ) {}

  /** This instance forgets the key now and again after COMMIT; other instances through NOTIFY. */
  private forgetEverywhere(keyId: number): void {
    this.authenticator.forgetKey(keyId);
    this.transaction.afterCommit(() => this.authenticator.forgetKey(keyId));
  }

  async list(auth: AuthContext, query: PageQuery): Promise<ApiKeyPage> {
    const limit = query.limit ?? 50;
    const after = decodeCursor('api-keys', query.starting_after, 1);
    const keys = await this.keys.list(auth.tenantId, limit + 1, after ? Number(after[0]) : undefined);
    const page = toPage('api-keys', keys, limit, (key) => [key.id]);
    return { ...page, data: page.data.map(apiKeyView) };
  }

  async create(auth: AuthContext, dto: CreateApiKeyDto): Promise<IssuedApiKeyView> {
    assertNotBroaderThanCreator(auth, dto.scopes);
    const expiresAt = dto.expires_at ? new Date(dto.expires_at) : null;
    if (isExpired(expiresAt)) throw new ValidationProblem([{ field: 'expires_at', message: 'expires_at must be in the future' }]);
    const plan = PLANS[(await this.keys.tenantPlan(auth.tenantId)) as Plan] ?? PLANS.STARTER;
    const rate = dto.rate_limit_per_minute ?? plan.default_key_rate_limit_per_minute;
    if (rate > plan.rate_limit_per_minute) {
      throw new ProblemException(403, 'plan-limit', 'Plan limit reached', `The plan allows at most ${plan.rate_limit_per_minute} requests per minute per tenant`, {
        limit: 'rate_limit_per_minute',
        max_rate_limit_per_minute: plan.rate_limit_per_minute,
      });
    }
    const issued = generateApiKey();
    const key = await this.keys.insert(auth.tenantId, {
      keyName: dto.key_name,
      keyHash: issued.hash,
      keyPrefix: issued.prefix,
      scopes: dto.scopes,
      rateLimitPerMinute: rate,
      expiresAt,
      createdBy: auth.userId ?? null,
    });
    await this.audit.record(auth, {
      action: 'api_key.created',
      resourceType: 'api_key',
      resourceId: key.id,
      newValue: { key_name: key.keyName, key_prefix: key.keyPrefix, scopes: key.scopes, rate_limit_per_minute: key.rateLimitPerMinute, expires_at: key.expiresAt },
    });
    return { ...apiKeyView(key), key: issued.key };
  }

  /** Revocation is immediate on every instance: the UPDATE's trigger NOTIFYs each API-key cache. */
  async revoke(auth: AuthContext, id: number): Promise<void> {
    const key = await this.keys.findByIdForUpdate(auth.tenantId, id);
    if (!key) throw new NotFoundProblem('API key');
    if (!key.isActive) return;
    await this.keys.revoke(auth.tenantId, id);
    this.forgetEverywhere(id);
    await this.audit.record(auth, {
      action: 'api_key.revoked',
      resourceType: 'api_key',
      resourceId: id,
      oldValue: { is_active: true },
      newValue: { is_active: false },
      severity: 'WARNING',
    });
  }

  /**
   * A new key with the same name, scopes, limit and expiry; the old one ends at min(its expiry, now + grace).
   * Its answer's type is inferred, not named: the Swagger plugin would document a named one as a bare
   * object schema, which the committed openapi.json does not have.
   */
  async roll(auth: AuthContext, id: number, dto: RollApiKeyDto): Promise<RolledApiKeyView> {
    const old = await this.keys.findByIdForUpdate(auth.tenantId, id);
    if (!old) throw new NotFoundProblem('API key');
    if (!old.isActive || isExpired(old.expiresAt)) {
      throw new ProblemException(409, 'api-key-inactive', 'API key inactive', 'A revoked or expired key cannot be rolled; create a new key');
    }
    assertNotBroaderThanCreator(auth, old.scopes ?? []);
    const issued = generateApiKey();
    const key = await this.keys.insert(auth.tenantId, {
      keyName: old.keyName,
      keyHash: issued.hash,
      keyPrefix: issued.prefix,
      scopes: old.scopes,
      rateLimitPerMinute: old.rateLimitPerMinute,
      expiresAt: old.expiresAt,
      createdBy: auth.userId ?? null,
    });
    const oldEndsAt = await this.keys.endWithin(auth.tenantId, id, dto.grace_seconds ?? 0);
    this.forgetEverywhere(id);
    await this.audit.record(auth, {
      action: 'api_key.rolled',
      resourceType: 'api_key',
      resourceId: id,
      oldValue: { key_prefix: old.keyPrefix, expires_at: old.expiresAt },
      newValue: { replaced_by: key.id, key_prefix: key.keyPrefix, old_key_expires_at: oldEndsAt },
      severity: 'WARNING',
    });
    return { ...apiKeyView(key), key: issued.key, replaces: { id: old.id, key_prefix: old.keyPrefix, expires_at: oldEndsAt } };
  }
}
