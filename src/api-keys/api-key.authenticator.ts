import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config.js';
import type { AuthContext } from '../common/auth-context.js';
import { ProblemException } from '../common/problem.js';
import { assertTenantUsable } from '../common/tenant-status.js';
import { AuthChangeListener } from '../database/auth-change-listener.js';
import { ApiKeyLookupRepository, ApiKeyRecord } from './api-key-lookup.repository.js';
import { ApiKeyUsageRecorder } from './api-key-usage.recorder.js';
import { hashApiKey, isWellFormedApiKey } from './api-key.token.js';

interface CacheEntry {
  record: ApiKeyRecord | undefined;
  expiresAt: number;
}

const MAX_CACHE_ENTRIES = 50_000;

export function invalidApiKey(detail: string): ProblemException {
  return new ProblemException(401, 'invalid-api-key', 'Invalid API key', detail, {}, { 'www-authenticate': 'ApiKey' });
}

/**
 * X-API-Key → AuthContext. A SHA-256 (never argon2: this is the hot path) and an in-process cache
 * for API_KEY_CACHE_TTL_MS; entries are dropped the moment the database announces a change to the
 * key or its tenant, and the cache is bypassed whenever that announcement channel is down.
 */
@Injectable()
export class ApiKeyAuthenticator implements OnModuleInit {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly lookup: ApiKeyLookupRepository,
    private readonly listener: AuthChangeListener,
    private readonly usage: ApiKeyUsageRecorder,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    this.listener.onChange((payload) => this.invalidate(payload));
    await this.listener.start();
  }

  /**
   * Drops a key from this instance's cache at once. The NOTIFY reaches every instance, this one
   * included, but asynchronously: a request right after a revocation on the same instance must not
   * beat it. Called before and after the commit of the change (the latter closes the window in which
   * a concurrent request could re-cache the old row).
   */
  forgetKey(keyId: number): void {
    for (const [hash, entry] of this.cache) if (entry.record?.key_id === keyId) this.cache.delete(hash);
  }

  private invalidate(payload: string): void {
    if (payload === '*') return this.cache.clear();
    if (payload.startsWith('key:')) {
      this.cache.delete(payload.slice(4));
      return;
    }
    if (payload.startsWith('tenant:')) {
      const tenantId = payload.slice(7);
      for (const [hash, entry] of this.cache) if (entry.record?.tenant_id === tenantId) this.cache.delete(hash);
    }
  }

  private async find(hash: string): Promise<ApiKeyRecord | undefined> {
    const now = Date.now();
    const useCache = this.listener.live && this.config.apiKeyCacheTtlMs > 0;
    if (useCache) {
      const hit = this.cache.get(hash);
      if (hit && hit.expiresAt > now) return hit.record;
    }
    const record = await this.lookup.findByHash(hash);
    if (useCache) {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(hash, { record, expiresAt: now + this.config.apiKeyCacheTtlMs });
    }
    return record;
  }

  async authenticate(key: string): Promise<AuthContext> {
    if (!isWellFormedApiKey(key)) throw invalidApiKey('The API key is malformed');
    const record = await this.find(hashApiKey(key));
    if (!record) throw invalidApiKey('The API key is not valid');
    if (!record.is_active) throw invalidApiKey('The API key has been revoked');
    if (record.expires_at && new Date(record.expires_at).getTime() <= Date.now()) throw invalidApiKey('The API key has expired');
    assertTenantUsable(record.tenant_status, record.trial_ends_at);
    this.usage.record(record.tenant_id, record.key_id);
    return {
      tenantId: record.tenant_id,
      via: 'api_key',
      apiKeyId: record.key_id,
      apiKeyPrefix: record.key_prefix,
      scopes: record.scopes ?? [],
      rateLimitPerMinute: record.rate_limit_per_minute ?? undefined,
      plan: record.plan,
    };
  }
}
