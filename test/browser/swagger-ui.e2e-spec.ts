import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, Browser } from 'playwright-core';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** The GET route "Try it out" runs: the tenant's transaction list, with an API key. */
const ROUTE = { tag: 'Transaction', operationId: 'Transaction_list', path: '/api/v1/transactions' };

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) {
  process.stderr.write(`\n  Swagger UI browser test SKIPPED: ${CHROMIUM} is absent (apt-get install -y chromium)\n\n`);
}

describeWithChromium('Swagger UI in headless Chromium', () => {
  let t: TestApp;
  let tenant: SeededTenant;
  let mine: Awaited<ReturnType<typeof seedDomainRows>>;
  let theirs: Awaited<ReturnType<typeof seedDomainRows>>;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await seedTenant(t.db.ownerUrl);
    mine = await seedDomainRows(t.db.ownerUrl, tenant.tenantId);
    theirs = await seedDomainRows(t.db.ownerUrl, (await seedTenant(t.db.ownerUrl)).tenantId);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it(`authorizes with an API key and runs "Try it out" on GET ${ROUTE.path}`, async () => {
    const page = await browser.newPage();
    const failedRequests: string[] = [];
    page.on('requestfailed', (request) => failedRequests.push(request.url()));
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();

    // Authorize: the dialog lists every scheme; fill the API key one.
    await page.locator('button.authorize').first().click();
    const apiKeyForm = page.locator('.auth-container', { has: page.locator('h4', { hasText: 'api-key' }) });
    await apiKeyForm.locator('input').fill(tenant.apiKey);
    await apiKeyForm.locator('button.authorize').click();
    await page.locator('.dialog-ux button.btn-done, .dialog-ux button.close-modal').first().click();

    const operation = page.locator(`#operations-${ROUTE.tag}-${ROUTE.operationId}`);
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    const answered = page.waitForResponse((response) => response.url().startsWith(`${baseUrl}${ROUTE.path}`));
    await operation.locator('button.execute').click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.request().headers()['x-api-key']).toBe(tenant.apiKey);

    const shownStatus = operation.locator('.live-responses-table .response .response-col_status').first();
    await shownStatus.waitFor();
    expect((await shownStatus.innerText()).trim()).toBe('200');
    const shownBody = await operation.locator('.live-responses-table .response-col_description .microlight').first().innerText();
    expect(shownBody).toContain(mine.transactionId); // the tenant's rows …
    expect(shownBody).not.toContain(theirs.transactionId); // … and only those

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'swagger-try-it-out.png'), fullPage: true });
    expect(failedRequests).toEqual([]);
  });
});
