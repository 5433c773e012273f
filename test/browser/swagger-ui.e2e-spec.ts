import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { AppProcess, startAppProcess } from '../support/app-process.js';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { resetTokenFor } from '../support/outbox.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const ADMIN_TOKEN = 'swagger-ui-operator-token-0123456789';
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) {
  process.stderr.write(`\n  Swagger UI browser test SKIPPED: ${CHROMIUM} is absent (apt-get install -y chromium)\n\n`);
}

interface Executed {
  status: number;
  body: any;
}

/**
 * Swagger UI as a person exploring the API uses it, on the document the built server serves: open
 * an operation, "Try it out", Execute with the prefilled example. Every POST/PUT/PATCH of the
 * document is run this way and must answer 2xx, so the examples are accepted as they stand. The test
 * types only what no example can know: a path `{id}` of a row it created, and the one-time tokens
 * (refresh, password reset) that exist only at run time.
 */
describeWithChromium('Swagger UI in headless Chromium', () => {
  let db: TestDatabase;
  let server: AppProcess;
  let browser: Browser;
  let document: any;
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'fg-swagger-outbox-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startAppProcess(db.ownerUrl, { PLATFORM_ADMIN_TOKEN: ADMIN_TOKEN, MAIL_OUTBOX_DIR: outbox, LOG_LEVEL: 'warn' });
    document = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
    await server?.exited;
    await db?.drop();
  });

  async function openDocs(): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${server.baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    return page;
  }

  async function authorize(page: Page, scheme: string, value: string): Promise<void> {
    await page.locator('.scheme-container button.authorize').click();
    const form = page.locator('.dialog-ux .auth-container', { has: page.locator('h4', { hasText: new RegExp(`^${scheme}\\b`) }) });
    const logout = form.locator('button', { hasText: 'Logout' });
    if (await logout.count()) await logout.click();
    await form.locator('input').first().fill(value);
    await form.locator('button.authorize').click();
    await page.locator('.dialog-ux button.close-modal').first().click();
  }

  function operationOf(method: string, route: string): any {
    return document.paths[route][method.toLowerCase()];
  }

  /** Try it out → (path ids, token substitutions) → Execute; the answer as the browser got it. */
  async function tryItOut(
    page: Page,
    method: string,
    route: string,
    options: { path?: Record<string, string | number>; edit?: (body: any) => any } = {},
  ): Promise<Executed> {
    const operation = operationOf(method, route);
    const block = page.locator(`#operations-${operation.tags[0].replace(/\s/g, '_')}-${operation.operationId}`);
    await block.locator('.opblock-summary').first().click();
    await block.locator('button.try-out__btn').click();
    for (const [name, value] of Object.entries(options.path ?? {})) {
      await block.locator(`tr[data-param-name="${name}"][data-param-in="path"] input`).fill(String(value));
    }
    if (options.edit) {
      const textarea = block.locator('textarea.body-param__text');
      const prefilled = JSON.parse(await textarea.inputValue());
      await textarea.fill(JSON.stringify(options.edit(prefilled), null, 2));
    }
    const url = new RegExp(`^${server.baseUrl}${route.replace(/\{[^}]+\}/g, '[^/?]+')}(\\?|$)`);
    const answered = page.waitForResponse((response) => url.test(response.url()) && response.request().method() === method);
    await block.locator('button.execute').click();
    const response = await answered;
    const text = await response.text();
    const shownStatus = block.locator('.live-responses-table .response .response-col_status').first();
    await shownStatus.waitFor();
    expect((await shownStatus.innerText()).trim()).toBe(String(response.status()));
    await block.locator('.opblock-summary').first().click(); // collapse again: the page stays short
    return { status: response.status(), body: text ? JSON.parse(text) : undefined };
  }

  it('runs "Try it out" with the prefilled example on every POST, PUT and PATCH, each answering 2xx', async () => {
    const page = await openDocs();
    const failedRequests: string[] = [];
    page.on('requestfailed', (request) => failedRequests.push(request.url()));
    const executed: string[] = [];
    const run = async (method: string, route: string, options: Parameters<typeof tryItOut>[3] = {}) => {
      const result = await tryItOut(page, method, route, options);
      expect({ operation: `${method} ${route}`, status: result.status, body: result.status < 300 ? 'ok' : result.body }).toEqual({
        operation: `${method} ${route}`,
        status: expect.any(Number),
        body: 'ok',
      });
      executed.push(`${method} ${route}`);
      return result.body;
    };

    // An organization signs up with the example; its admin logs in with the example's credentials.
    const signup = await run('POST', '/api/v1/tenants/signup');
    const login = await run('POST', '/api/v1/auth/login');
    await authorize(page, 'bearer', login.access_token);
    const key = await run('POST', '/api/v1/api-keys');
    await authorize(page, 'api-key', key.key);

    await run('PUT', '/api/v1/tenants/me');
    const user = await run('POST', '/api/v1/users');
    await run('PATCH', '/api/v1/users/{id}', { path: { id: user.id } });
    await run('POST', '/api/v1/api-keys/{id}/roll', { path: { id: signup.api_key_id } });

    await run('POST', '/api/v1/accounts');
    await run('POST', '/api/v1/transactions');
    await run('POST', '/api/v1/transactions/batch');
    const { alertId } = await seedDomainRows(db.ownerUrl, signup.tenant_id);
    await run('PATCH', '/api/v1/alerts/{id}', { path: { id: alertId } });

    await run('POST', '/api/v1/auth/refresh', { edit: (body) => ({ ...body, refresh_token: login.refresh_token }) });
    await run('POST', '/api/v1/users/me/password');
    const asked = Date.now();
    await run('POST', '/api/v1/auth/forgot-password');
    const token = await resetTokenFor(outbox, signup.admin_user.email, asked);
    await run('POST', '/api/v1/auth/reset-password', { edit: (body) => ({ ...body, token }) });
    await run('POST', '/api/v1/auth/logout');

    await authorize(page, 'admin-token', ADMIN_TOKEN);
    await run('PATCH', '/api/v1/admin/tenants/{id}', { path: { id: signup.tenant_id } });

    const writes = Object.entries<any>(document.paths)
      .flatMap(([route, item]) => ['post', 'put', 'patch'].filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${route}`))
      .sort();
    expect([...executed].sort()).toEqual(writes);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'swagger-try-it-out-writes.png'), fullPage: true });
    expect(failedRequests).toEqual([]);
    await page.close();
  }, 300_000);

  it('authorizes with an API key and runs "Try it out" on GET /api/v1/transactions: the tenant\'s rows only', async () => {
    const tenant: SeededTenant = await seedTenant(db.ownerUrl);
    const mine = await seedDomainRows(db.ownerUrl, tenant.tenantId);
    const theirs = await seedDomainRows(db.ownerUrl, (await seedTenant(db.ownerUrl)).tenantId);
    const page = await openDocs();
    await authorize(page, 'api-key', tenant.apiKey);
    const { status, body } = await tryItOut(page, 'GET', '/api/v1/transactions');
    expect(status).toBe(200);
    const ids = body.data.map((transaction: any) => transaction.id);
    expect(ids).toContain(mine.transactionId);
    expect(ids).not.toContain(theirs.transactionId);
    await page.close();
  });
});
