import { quoteIdent, rolesForDatabase } from './roles.js';

describe('rolesForDatabase', () => {
  it('names the roles after a plain database name', () => {
    expect(rolesForDatabase('fraudguard')).toEqual({ owner: 'fg_fraudguard_owner', app: 'fg_fraudguard_app', platform: 'fg_fraudguard_platform' });
  });

  it('folds other names to [a-z0-9_] and adds a hash of the original, so names that fold alike stay apart', () => {
    const names = ['Shop', 'shop', 'sh-op', 'sh op', 'shöp', 'sh_op'];
    const apps = names.map((name) => rolesForDatabase(name).app);
    expect(new Set(apps).size).toBe(names.length);
    for (const app of apps) expect(app).toMatch(/^fg_[a-z0-9_]+_app$/);
    expect(rolesForDatabase('Shop').app).toMatch(/^fg_shop_[0-9a-f]{8}_app$/);
  });

  it('keeps every name within 63 bytes, however long the database name', () => {
    for (const name of ['x'.repeat(40), 'x'.repeat(41), 'y'.repeat(63), 'ü'.repeat(31)]) {
      const roles = rolesForDatabase(name);
      for (const role of Object.values(roles)) expect(Buffer.byteLength(role)).toBeLessThanOrEqual(63);
    }
    expect(rolesForDatabase('x'.repeat(41)).app).not.toBe(rolesForDatabase('x'.repeat(42)).app);
  });

  it('is quoted as an identifier for SQL text', () => {
    expect(quoteIdent('fg_a_app')).toBe('"fg_a_app"');
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
  });
});
