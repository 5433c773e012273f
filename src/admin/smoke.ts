/**
 * `npm run smoke -- --url <base-url> [--admin-token <token>] [--timeout-ms 10000]`
 *
 * The seed's deployment smoke test, against any running deployment: health → signup → the API key
 * it returns → transactions → read back → alert. Written against the documented API only (it
 * imports nothing from the server). Exit 0 when every step passed, 1 on the first failure, 2 on a
 * usage error. With --admin-token (or SMOKE_ADMIN_TOKEN) the smoke tenant is cancelled afterwards
 * through the operators' API; otherwise its id is printed so it can be cancelled with
 * `npm run cli -- tenant:suspend <id>`.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

class StepFailed extends Error {}

interface Answer {
  status: number;
  body: any;
  text: string;
}

const USAGE = 'Usage: npm run smoke -- --url <base-url> [--admin-token <token>] [--timeout-ms <ms>]';

function parse(argv: string[]): { url: string; adminToken?: string; timeoutMs: number } {
  const { values } = parseArgs({
    args: argv,
    options: { url: { type: 'string' }, 'admin-token': { type: 'string' }, 'timeout-ms': { type: 'string', default: '10000' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.url) throw new Error('--url is required');
  const url = new URL(values.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('--url must be http(s)');
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new Error('--timeout-ms must be an integer ≥ 100');
  return { url: url.toString().replace(/\/$/, ''), adminToken: values['admin-token'] ?? process.env.SMOKE_ADMIN_TOKEN, timeoutMs };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { url, adminToken, timeoutMs } = options;

  async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
    const response = await fetch(url + path, {
      method,
      headers: { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body, text };
  }

  function expectStatus(answer: Answer, expected: number, what: string): void {
    if (answer.status !== expected) {
      throw new StepFailed(`${what}: expected HTTP ${expected}, got ${answer.status}: ${answer.text.slice(0, 500)}`);
    }
  }

  async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      const result = await work();
      process.stdout.write(`ok   ${name} (${Date.now() - started} ms)\n`);
      return result;
    } catch (error) {
      process.stdout.write(`FAIL ${name}: ${(error as Error).message}\n`);
      throw new StepFailed((error as Error).message);
    }
  }

  const suffix = randomBytes(4).toString('hex');
  let tenantId: string | undefined;
  try {
    process.stdout.write(`smoke test against ${url}\n`);
    await step('liveness GET /health', async () => expectStatus(await call('GET', '/health'), 200, 'GET /health'));
    await step('readiness GET /health/ready', async () => expectStatus(await call('GET', '/health/ready'), 200, 'GET /health/ready'));

    const apiKey = await step('signup POST /api/v1/tenants/signup', async () => {
      const answer = await call('POST', '/api/v1/tenants/signup', {
        body: {
          organization_name: `Smoke Test ${suffix}`,
          subdomain: `smoke-${suffix}`,
          admin_full_name: 'Smoke Test',
          admin_email: `smoke+${suffix}@fraudguard.example`,
          admin_password: `Sm0ke!${randomBytes(12).toString('base64url')}`,
        },
      });
      expectStatus(answer, 201, 'signup');
      if (typeof answer.body?.api_key !== 'string') throw new Error('signup answered no api_key');
      tenantId = answer.body.tenant_id;
      return answer.body.api_key as string;
    });
    const auth = { 'x-api-key': apiKey };

    await step('API key works: GET /api/v1/tenants/me', async () => {
      const answer = await call('GET', '/api/v1/tenants/me', { headers: auth });
      expectStatus(answer, 200, 'GET /tenants/me');
      if (tenantId && answer.body?.tenant_id !== tenantId) throw new Error(`tenants/me answered tenant ${answer.body?.tenant_id}, signup said ${tenantId}`);
      tenantId = answer.body?.tenant_id;
    });

    const accountRef = `smoke-acc-${suffix}`;
    const first = await step('transaction POST /api/v1/transactions', async () => {
      const answer = await call('POST', '/api/v1/transactions', {
        headers: auth,
        body: { account_ref: accountRef, amount: '42.50', currency: 'EUR', merchant: 'Smoke Bakery', country: 'DE' },
      });
      expectStatus(answer, 201, 'POST /transactions');
      if (!answer.body?.transaction_id) throw new Error('no transaction_id in the answer');
      return answer.body;
    });

    await step('read back GET /api/v1/transactions/:id', async () => {
      const answer = await call('GET', `/api/v1/transactions/${encodeURIComponent(first.transaction_id)}`, { headers: auth });
      expectStatus(answer, 200, 'GET /transactions/:id');
      const body = answer.body ?? {};
      if ((body.id ?? body.transaction_id) !== first.transaction_id) throw new Error('read back a different transaction');
      if (Number(body.amount) !== 42.5 || body.currency !== 'EUR') throw new Error(`read back amount/currency ${body.amount} ${body.currency}`);
    });

    const alertId = await step('alert raised by a risky burst', async () => {
      // Velocity, a large round amount, a high-risk merchant category and a new country and device:
      // every scoring rule of the product looks at one of these.
      let alert: string | undefined;
      for (let i = 0; i < 6 && !alert; i++) {
        const answer = await call('POST', '/api/v1/transactions', {
          headers: auth,
          body: {
            account_ref: accountRef,
            amount: i < 5 ? '100.00' : '95000.00',
            currency: 'EUR',
            merchant: `Casino ${i}`,
            merchant_category: '7995',
            country: i % 2 ? 'KP' : 'RU',
            device_id: `smoke-device-${suffix}-${i}`,
          },
        });
        expectStatus(answer, 201, 'POST /transactions (burst)');
        alert = answer.body?.alert_id ?? undefined;
      }
      if (!alert) throw new Error('no fraud alert was raised for an obviously risky burst: is scoring running?');
      return alert;
    });

    await step('alert listed by GET /api/v1/alerts', async () => {
      const answer = await call('GET', '/api/v1/alerts?limit=100', { headers: auth });
      expectStatus(answer, 200, 'GET /alerts');
      const ids = (answer.body?.data ?? []).map((alert: any) => alert.id ?? alert.alert_id);
      if (!ids.includes(alertId)) throw new Error(`alert ${alertId} is not in GET /alerts`);
    });
    process.stdout.write('smoke test passed\n');
    return 0;
  } catch (error) {
    if (!(error instanceof StepFailed)) process.stdout.write(`FAIL ${(error as Error).message}\n`);
    process.stdout.write('smoke test FAILED\n');
    return 1;
  } finally {
    if (tenantId && adminToken) {
      const answer = await call('PATCH', `/api/v1/admin/tenants/${encodeURIComponent(tenantId)}`, {
        headers: { 'x-admin-token': adminToken },
        body: { status: 'CANCELLED', reason: 'smoke test tenant' },
      }).catch((error) => ({ status: 0, text: String(error) }) as Answer);
      process.stdout.write(answer.status === 200 ? `cleanup: smoke tenant ${tenantId} cancelled\n` : `cleanup FAILED (HTTP ${answer.status}): cancel tenant ${tenantId} by hand\n`);
    } else if (tenantId) {
      process.stdout.write(`smoke tenant ${tenantId} left in place: npm run cli -- tenant:suspend ${tenantId}\n`);
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`smoke: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
