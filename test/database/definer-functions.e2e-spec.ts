import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

/** Every .ts file under `dir`, concatenated (the application's code, not its tests or migrations). */
function sourceText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
    .map((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

describe('SECURITY DEFINER functions of a migrated database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('are each called by the code in src/ (an unused one is attack surface: drop it)', async () => {
    const definers: string[] = await withClient(db.ownerUrl, async (client) =>
      (await client.query(`SELECT p.proname FROM pg_proc p WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace ORDER BY 1`)).rows.map((row) => row.proname));
    expect(definers.length).toBeGreaterThan(0);
    const code = sourceText('src');
    const unused = definers.filter((name) => !new RegExp(`\\b${name}\\s*\\(`).test(code));
    expect(unused).toEqual([]);
    // What the app role may call is exactly that list: nothing reaches another tenant's hashes by e-mail alone.
    expect(definers).not.toContain('fg_login_candidates');
  });
});
