import { SCOPES } from '../common/auth-context.js';
import { grantableScopes, ROLE_SCOPES } from './api-key.service.js';

describe('a key is never broader than its creator', () => {
  it('lets nothing but a logged-in user grant scopes: an API key grants none', () => {
    expect(grantableScopes(undefined)).toEqual([]);
    expect(grantableScopes({ tenantId: 't', via: 'api_key', scopes: [...SCOPES] })).toEqual([]);
    expect(grantableScopes({ tenantId: 't', via: 'subdomain' })).toEqual([]);
  });

  it('grants a user the scopes of their role only', () => {
    expect(grantableScopes({ tenantId: 't', via: 'jwt', role: 'ADMIN', userId: 1 })).toEqual(SCOPES);
    expect(grantableScopes({ tenantId: 't', via: 'jwt', role: 'VIEWER', userId: 1 })).toEqual(['read:transactions', 'read:alerts', 'read:accounts']);
    expect(grantableScopes({ tenantId: 't', via: 'jwt', role: 'ANALYST', userId: 1 })).toContain('write:alerts');
    expect(grantableScopes({ tenantId: 't', via: 'jwt', role: 'ANALYST', userId: 1 })).not.toContain('write:transactions');
    for (const scopes of Object.values(ROLE_SCOPES)) for (const scope of scopes) expect(SCOPES).toContain(scope);
  });
});
