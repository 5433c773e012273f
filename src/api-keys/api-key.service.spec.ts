import type { AuditEntry, AuditWriter } from '../audit/audit.writer.js';
import { type AuthContext, SCOPES } from '../common/auth-context.js';
import { ProblemException } from '../common/problem.js';
import type { CurrentTransaction } from '../database/current-transaction.js';
import type { ApiKeyAuthenticator } from './api-key.authenticator.js';
import type { ApiKey } from './api-key.entity.js';
import type { ApiKeyRepository, NewApiKey } from './api-key.repository.js';
import { ApiKeyService, grantableScopes, ROLE_SCOPES } from './api-key.service.js';

const TENANT = 'tenant-a';
const admin: AuthContext = { tenantId: TENANT, via: 'jwt', role: 'ADMIN', userId: 7 };
const analyst: AuthContext = { tenantId: TENANT, via: 'jwt', role: 'ANALYST', userId: 8 };
const apiKeyCaller: AuthContext = { tenantId: TENANT, via: 'api_key', apiKeyId: 3, scopes: [...SCOPES] };
const operator: AuthContext = {
  tenantId: TENANT,
  via: 'operator',
  role: 'ADMIN',
  operator: { actor: { operator: 'cli' }, userAgent: 'fraudguard-cli', requestId: 'cli-1' },
};

describe('a key is never broader than its creator', () => {
  it('lets nothing but a logged-in user or an operator grant scopes: an API key grants none', () => {
    expect(grantableScopes(undefined)).toEqual([]);
    expect(grantableScopes(apiKeyCaller)).toEqual([]);
    expect(grantableScopes({ tenantId: 't', via: 'subdomain' })).toEqual([]);
    expect(grantableScopes(operator)).toEqual(SCOPES);
  });

  it('grants a user the scopes of their role only', () => {
    expect(grantableScopes(admin)).toEqual(SCOPES);
    expect(grantableScopes({ tenantId: 't', via: 'jwt', role: 'VIEWER', userId: 1 })).toEqual(['read:transactions', 'read:alerts', 'read:accounts']);
    expect(grantableScopes(analyst)).toContain('write:alerts');
    expect(grantableScopes(analyst)).not.toContain('write:transactions');
    for (const scopes of Object.values(ROLE_SCOPES)) for (const scope of scopes) expect(SCOPES).toContain(scope);
  });
});

function storedKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    tenantId: TENANT,
    id: 1,
    keyName: 'ingest',
    keyHash: 'h',
    keyPrefix: 'fgk_live_abcdefg',
    scopes: ['read:transactions'],
    rateLimitPerMinute: 100,
    isActive: true,
    expiresAt: null,
    lastUsedAt: null,
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    createdBy: 7,
    ...overrides,
  };
}

/** The service over recording fakes: what it wrote, what it audited, which keys it made the caches forget, and when. */
function harness(options: { plan?: string; keys?: ApiKey[] } = {}) {
  const keys = new Map((options.keys ?? []).map((key) => [key.id, key]));
  const events: string[] = [];
  const inserted: Array<{ tenantId: string; key: NewApiKey }> = [];
  const audited: Array<{ auth: AuthContext | undefined; entry: AuditEntry }> = [];
  const afterCommit: Array<() => unknown> = [];
  const endsAt = new Date('2026-06-01T00:00:00.000Z');
  const repository = {
    tenantPlan: async () => options.plan ?? 'STARTER',
    insert: async (tenantId: string, key: NewApiKey) => {
      inserted.push({ tenantId, key });
      const row = storedKey({ ...key, tenantId, id: 100 + inserted.length, createdAt: new Date('2026-02-01T00:00:00.000Z') });
      keys.set(row.id, row);
      return row;
    },
    findByIdForUpdate: async (tenantId: string, id: number) => (tenantId === TENANT ? (keys.get(id) ?? null) : null),
    revoke: async (_tenantId: string, id: number) => {
      events.push(`revoke ${id}`);
      keys.get(id)!.isActive = false;
    },
    endWithin: async (_tenantId: string, id: number, grace: number) => {
      events.push(`end ${id} within ${grace}`);
      return endsAt;
    },
  } as unknown as ApiKeyRepository;
  const authenticator = { forgetKey: (id: number) => events.push(`forget ${id}`) } as unknown as ApiKeyAuthenticator;
  const transaction = { afterCommit: (task: () => unknown) => afterCommit.push(task) } as unknown as CurrentTransaction;
  const audit = { record: async (auth: AuthContext | undefined, entry: AuditEntry) => void audited.push({ auth, entry }) } as unknown as AuditWriter;
  const service = new ApiKeyService(repository, authenticator, transaction, audit);
  const commit = () => afterCommit.splice(0).forEach((task) => task());
  return { service, events, inserted, audited, commit, endsAt };
}

async function refusal(work: Promise<unknown>): Promise<ProblemException> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProblemException);
  return error as ProblemException;
}

describe('ApiKeyService.create', () => {
  it('refuses a key minted by an API key, and writes nothing', async () => {
    const h = harness();
    const error = await refusal(h.service.create(apiKeyCaller, { key_name: 'child', scopes: [] }));
    expect(error.getStatus()).toBe(403);
    expect(h.inserted).toEqual([]);
    expect(h.audited).toEqual([]);
  });

  it('refuses scopes the creator lacks, naming them', async () => {
    const h = harness();
    const error = await refusal(h.service.create(analyst, { key_name: 'x', scopes: ['read:alerts', 'write:transactions', 'read:audit'] }));
    expect(error.getStatus()).toBe(403);
    expect(error.slug).toBe('scope-escalation');
    expect(error.extensions).toEqual({ excess_scopes: ['write:transactions', 'read:audit'] });
    expect(h.inserted).toEqual([]);
  });

  it('lets an operator grant every scope; the key records no creating user', async () => {
    const h = harness();
    const key = await h.service.create(operator, { key_name: 'ops', scopes: [...SCOPES] });
    expect(key.scopes).toEqual(SCOPES);
    expect(h.inserted[0].key.createdBy).toBeNull();
    expect(h.audited[0].auth).toBe(operator);
  });

  it('takes the rate limit from the plan unless given, and refuses one above the plan ceiling', async () => {
    const professional = harness({ plan: 'PROFESSIONAL' });
    expect((await professional.service.create(admin, { key_name: 'x', scopes: [] })).rate_limit_per_minute).toBe(1_000);
    const starter = harness();
    await starter.service.create(admin, { key_name: 'x', scopes: [], rate_limit_per_minute: 600 });
    const error = await refusal(starter.service.create(admin, { key_name: 'y', scopes: [], rate_limit_per_minute: 601 }));
    expect(error.slug).toBe('plan-limit');
    expect(starter.inserted).toHaveLength(1);
  });

  it('refuses an expiry in the past with a validation error', async () => {
    const h = harness();
    const error = await refusal(h.service.create(admin, { key_name: 'x', scopes: [], expires_at: new Date(Date.now() - 1000).toISOString() }));
    expect(error.getStatus()).toBe(400);
    expect(h.inserted).toEqual([]);
  });

  it('answers the key once, with its stored fields; the audit row holds its prefix, never the key', async () => {
    const h = harness();
    const created = await h.service.create(admin, { key_name: 'ingest', scopes: ['read:alerts'] });
    expect(created).toMatchObject({ tenant_id: TENANT, key_name: 'ingest', scopes: ['read:alerts'], created_by: 7, key: expect.stringMatching(/^fgk_live_/) });
    expect(created.key_prefix).toBe(created.key.slice(0, 16));
    expect(h.inserted[0].key.keyHash).not.toContain(created.key);
    expect(JSON.stringify(h.audited)).not.toContain(created.key);
    expect(h.audited[0].entry).toMatchObject({ action: 'api_key.created', resourceId: created.id });
  });
});

describe('ApiKeyService.revoke', () => {
  it('makes this instance forget the key before and again after the commit', async () => {
    const h = harness({ keys: [storedKey({ id: 5 })] });
    await h.service.revoke(admin, 5);
    expect(h.events).toEqual(['revoke 5', 'forget 5']);
    h.commit();
    expect(h.events).toEqual(['revoke 5', 'forget 5', 'forget 5']);
    expect(h.audited[0].entry).toMatchObject({ action: 'api_key.revoked', resourceId: 5, severity: 'WARNING' });
  });

  it('is idempotent on a revoked key and 404 on an unknown one', async () => {
    const h = harness({ keys: [storedKey({ id: 5, isActive: false })] });
    await h.service.revoke(admin, 5);
    expect(h.events).toEqual([]);
    expect(h.audited).toEqual([]);
    expect((await refusal(h.service.revoke(admin, 6))).getStatus()).toBe(404);
    expect((await refusal(h.service.revoke({ ...admin, tenantId: 'tenant-b' }, 5))).getStatus()).toBe(404);
  });
});

describe('ApiKeyService.roll', () => {
  it('issues a copy of the key, ends the old one within the grace period and forgets it before and after the commit', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000);
    const h = harness({ keys: [storedKey({ id: 5, scopes: ['read:alerts'], rateLimitPerMinute: 250, expiresAt })] });
    const rolled = await h.service.roll(admin, 5, { grace_seconds: 60 });
    expect(h.inserted[0].key).toMatchObject({ keyName: 'ingest', scopes: ['read:alerts'], rateLimitPerMinute: 250, expiresAt, createdBy: 7 });
    expect(rolled.replaces).toEqual({ id: 5, key_prefix: 'fgk_live_abcdefg', expires_at: h.endsAt });
    expect(h.events).toEqual(['end 5 within 60', 'forget 5']);
    h.commit();
    expect(h.events).toEqual(['end 5 within 60', 'forget 5', 'forget 5']);
  });

  it('refuses to roll a revoked or expired key (409), or one broader than the caller (403)', async () => {
    const h = harness({
      keys: [
        storedKey({ id: 5, isActive: false }),
        storedKey({ id: 6, expiresAt: new Date(Date.now() - 1000) }),
        storedKey({ id: 7, scopes: ['write:transactions'] }),
      ],
    });
    expect((await refusal(h.service.roll(admin, 5, {}))).slug).toBe('api-key-inactive');
    expect((await refusal(h.service.roll(admin, 6, {}))).slug).toBe('api-key-inactive');
    expect((await refusal(h.service.roll(analyst, 7, {}))).slug).toBe('scope-escalation');
    expect((await refusal(h.service.roll(apiKeyCaller, 7, {}))).getStatus()).toBe(403);
    expect(h.inserted).toEqual([]);
    expect(h.events).toEqual([]);
  });
});
