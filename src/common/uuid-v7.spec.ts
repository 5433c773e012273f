import { uuidv7 } from './uuid-v7.js';

describe('uuidv7', () => {
  it('is an RFC 9562 version 7 UUID carrying its millisecond timestamp', () => {
    const now = Date.parse('2026-11-26T12:34:56.789Z');
    const id = uuidv7(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
  });

  it('sorts by time and never repeats', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => uuidv7(1_800_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 100; i < ids.length; i += 100) expect(ids[i - 1].slice(0, 13) <= ids[i].slice(0, 13)).toBe(true);
  });
});
