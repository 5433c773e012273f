import { spawn } from 'node:child_process';
import path from 'node:path';
import { startAppProcess } from '../support/app-process.js';
import { createTestDatabase, TestDatabase, withClient } from '../support/test-database.js';

const TOKEN = 'smoke-operator-token-' + 'q'.repeat(32);

function runSmoke(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve('dist/src/admin/smoke.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm run smoke` against the deployed process: the seed's signup → key → transaction → alert flow. */
describe('deployment smoke test', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('passes against a running deployment and cleans up its tenant with the operator token', async () => {
    const app = await startAppProcess(db.ownerUrl, { PLATFORM_ADMIN_TOKEN: TOKEN });
    try {
      const result = await runSmoke(['--url', app.baseUrl, '--admin-token', TOKEN]);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const tenants = await withClient(db.ownerUrl, (client) => client.query(`SELECT status FROM tenants WHERE tenant_id <> 'default-tenant-001'`));
      expect(tenants.rows).toEqual([{ status: 'CANCELLED' }]);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });

  it('exits non-zero when the deployment is not there, and 2 on a usage error', async () => {
    expect((await runSmoke(['--url', 'http://127.0.0.1:1', '--timeout-ms', '500'])).code).toBe(1);
    expect((await runSmoke([])).code).toBe(2);
  });
});
