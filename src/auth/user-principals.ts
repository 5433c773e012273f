import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config.js';
import { AuthChangeListener } from '../database/auth-change-listener.js';
import { NotifiedCache } from '../database/notified-cache.js';
import { AuthLookupRepository, Principal } from './auth-lookup.repository.js';

/**
 * The current state of a token's user (role, active) and tenant (status, trial, plan), through the
 * definer look-up and cached like API keys: an entry is dropped by NOTIFY when the user's role or
 * is_active changes or the tenant's status does, so a deactivated user or suspended tenant is
 * refused at once.
 */
@Injectable()
export class UserPrincipals {
  private readonly principals: NotifiedCache<Principal & { tenant_id: string }>;

  constructor(
    private readonly lookup: AuthLookupRepository,
    listener: AuthChangeListener,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    this.principals = new NotifiedCache(listener, config.apiKeyCacheTtlMs, (payload, key, value) =>
      payload === `user:${key}` || payload === `tenant:${value.tenant_id}`,
    );
  }

  find(tenantId: string, userId: number): Promise<(Principal & { tenant_id: string }) | undefined> {
    return this.principals.get(`${tenantId}:${userId}`, async () => {
      const found = await this.lookup.principal(tenantId, userId);
      return found && { ...found, tenant_id: tenantId };
    });
  }

  /** After changing a user's role or is_active: this instance must not answer from the old entry. */
  forget(tenantId: string, userId: number): void {
    this.principals.forget(`${tenantId}:${userId}`);
  }
}
