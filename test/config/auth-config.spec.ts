import { loadConfig } from '../../src/config/fraudguard.config.js';
import { ConfigError } from '../../src/config/validate-config.js';

describe('configuration of login and signup', () => {
  it('requires JWT_SECRET in production, and a long one anywhere', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', APP_DB_PASSWORD: 'x' })).toThrow(/JWT_SECRET is required in production/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(ConfigError);
    expect(loadConfig({ NODE_ENV: 'production', APP_DB_PASSWORD: 'x', JWT_SECRET: 'x'.repeat(32) }).auth.jwtSecret).toBe('x'.repeat(32));
    expect(loadConfig({}).auth.jwtSecret).toBeUndefined(); // development: a random per-process secret, with a warning
  });

  it('caps the access token at 15 minutes and keeps argon2 at or above the OWASP minimum', () => {
    expect(() => loadConfig({ JWT_ACCESS_TTL_SECONDS: '901' })).toThrow(/JWT_ACCESS_TTL_SECONDS/);
    expect(() => loadConfig({ ARGON2_MEMORY_KIB: '4096' })).toThrow(/ARGON2_MEMORY_KIB/);
    expect(() => loadConfig({ ARGON2_TIME_COST: '1' })).toThrow(/ARGON2_TIME_COST/);
    expect(loadConfig({}).auth).toMatchObject({ jwtAccessTtlSeconds: 900, argon2MemoryKib: 19456, argon2TimeCost: 2, signupEnabled: true });
  });

  it('reads SIGNUP_ENABLED and TENANT_BASE_DOMAIN strictly', () => {
    expect(loadConfig({ SIGNUP_ENABLED: 'false' }).auth.signupEnabled).toBe(false);
    expect(() => loadConfig({ SIGNUP_ENABLED: 'maybe' })).toThrow(/SIGNUP_ENABLED/);
    expect(loadConfig({ TENANT_BASE_DOMAIN: 'Example.COM' }).auth.tenantBaseDomain).toBe('example.com');
    expect(() => loadConfig({ TENANT_BASE_DOMAIN: 'localhost' })).toThrow(/TENANT_BASE_DOMAIN/);
  });
});
