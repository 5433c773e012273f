import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { generateApiKey } from '../../src/api-keys/api-key.token.js';
import { login, PASSWORD, seedUser, signupBody } from '../support/accounts.js';
import { seedDomainRows, seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';
import { rawRequest } from './raw-http.js';

/**
 * The bad-input corpus: every write route (and every list's query string) fed malformed,
 * truncated, mistyped, oversized, deeply nested, NUL-laden, invalid-UTF-8, injected and forged
 * input. Cases are generated from tables (route × mutation). Every one must be refused with a 4xx
 * problem+json carrying a request_id, and the corpus as a whole must leave every table as it was.
 */

type Auth = 'none' | 'admin' | 'key';
type FieldType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'amount';

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  auth: Auth;
  /** A JSON value sent as application/json. */
  json?: unknown;
  /** Bytes or text sent as they are (content type from `contentType`, default application/json). */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Sent byte for byte on a socket: extra header lines (may hold CR, LF, NUL). */
  rawHeaders?: string;
  /** When set, exactly this status. */
  status?: number;
  /** When set, the problem's detail must match (the refusal happened for the reason the case is about). */
  detail?: RegExp;
  /** Audit rows this refusal is meant to write (failed login against a real account). */
  audited?: number;
}

interface BodyRoute {
  name: string;
  method: 'POST' | 'PUT' | 'PATCH';
  path: () => string;
  auth: Auth;
  /** A body the route would accept: each mutation is then the only reason for a refusal. */
  base: () => Record<string, unknown>;
  /** Field → type, for wrong-type mutations. */
  types: Record<string, FieldType>;
  required: string[];
  /** String fields of `base` whose value must survive storage: NUL and invalid UTF-8 go there. */
  text: string[];
  /** Fields with a format (e-mail, code, enum, token): SQL-injection strings must be refused. */
  formatted: string[];
}

const SQL_INJECTION = ["' OR '1'='1' --", '1);DROP/**/TABLE/**/tenants;--', "x' UNION SELECT password_hash FROM tenant_users --"];
const WRONG_VALUES: Record<FieldType, unknown[]> = {
  string: [12345, true, {}, ['x']],
  number: ['abc', true, {}, [1]],
  boolean: ['true', 1, {}, []],
  array: ['read:transactions', 42, {}],
  object: ['x', 42, [], true],
  /** Amounts are decimal strings or JSON numbers. */
  amount: [true, {}, ['12.50'], 'twelve'],
};

function nested(depth: number, leaf = '1'): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

/** Flip one character of a base64url string at `index`. */
function flip(text: string, index: number): string {
  const c = text[index];
  return text.slice(0, index) + (c === 'A' ? 'B' : 'A') + text.slice(index + 1);
}

/** The JSON text of `base` with `marker` bytes spliced into the value of `field`. */
function withBytes(base: Record<string, unknown>, field: string, bytes: number[]): Buffer {
  const text = JSON.stringify({ ...base, [field]: `${base[field]}@@SPLICE@@` });
  const [before, after] = text.split('@@SPLICE@@');
  return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
}

describe('bad-input corpus: every write route and list refuses bad input with a 4xx problem and writes nothing', () => {
  let t: TestApp;
  let port: number;
  let tenant: SeededTenant;
  let other: SeededTenant;
  let adminEmail: string;
  let adminJwt: string;
  let refreshToken: string;
  let analystId: number;
  let otherUserId: number;
  let extraKeyId: number;
  let accountId: string;
  let alertId: string;
  let otherAccountId: string;
  let otherAlertId: string;
  const cursors: Record<string, string> = {};

  const cases: Case[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_ENABLED: 'false', JWT_SECRET: 'bad-input-suite-secret-long-enough-0123456789' } });
    await t.app.listen(0, '127.0.0.1');
    port = (t.http.address() as AddressInfo).port;

    tenant = await seedTenant(t.db.ownerUrl, { plan: 'ENTERPRISE' });
    other = await seedTenant(t.db.ownerUrl);
    const admin = await seedUser(t.db.ownerUrl, tenant.tenantId, { role: 'ADMIN' });
    analystId = (await seedUser(t.db.ownerUrl, tenant.tenantId, { role: 'ANALYST' })).id;
    otherUserId = (await seedUser(t.db.ownerUrl, other.tenantId, { role: 'ADMIN' })).id;
    adminEmail = admin.email;
    const session = await login(t.http, adminEmail);
    adminJwt = session.access_token;
    refreshToken = session.refresh_token;

    const first = await seedDomainRows(t.db.ownerUrl, tenant.tenantId);
    await seedDomainRows(t.db.ownerUrl, tenant.tenantId);
    accountId = first.accountId;
    alertId = first.alertId;
    const foreign = await seedDomainRows(t.db.ownerUrl, other.tenantId);
    otherAccountId = foreign.accountId;
    otherAlertId = foreign.alertId;
    const issued = generateApiKey();
    extraKeyId = await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(
        `INSERT INTO tenant_api_keys (tenant_id, key_name, key_hash, key_prefix, scopes) VALUES ($1, 'extra', $2, $3, $4) RETURNING id`,
        [tenant.tenantId, issued.hash, issued.prefix, ['read:transactions']],
      );
      return rows[0].id;
    });

    // Real cursors (a page of one row out of at least two), to tamper with.
    for (const [list, auth] of [['transactions', 'key'], ['accounts', 'key'], ['alerts', 'key'], ['users', 'admin'], ['api-keys', 'admin']] as const) {
      const res = await authed(request(t.http).get(`/api/v1/${list}?limit=1`), auth);
      if (res.status !== 200 || !res.body.next_cursor) throw new Error(`no cursor for ${list}: ${res.status} ${JSON.stringify(res.body)}`);
      cursors[list] = res.body.next_cursor;
    }
    buildCorpus();
  });
  afterAll(() => t?.close());

  function authed<T extends request.Test>(req: T, auth: Auth): T {
    if (auth === 'admin') return req.set('Authorization', `Bearer ${adminJwt}`) as T;
    if (auth === 'key') return req.set('X-API-Key', tenant.apiKey) as T;
    return req;
  }

  function authHeaderLine(auth: Auth): string {
    if (auth === 'admin') return `Authorization: Bearer ${adminJwt}\r\n`;
    if (auth === 'key') return `X-API-Key: ${tenant.apiKey}\r\n`;
    return '';
  }

  function buildCorpus(): void {
    const txn = () => ({ account_ref: 'acc-attack', amount: '12.50', currency: 'EUR', merchant: 'Shop', country: 'DE' });
    const routes: BodyRoute[] = [
      {
        name: 'signup', method: 'POST', path: () => '/api/v1/tenants/signup', auth: 'none', base: () => signupBody(),
        types: { organization_name: 'string', subdomain: 'string', admin_full_name: 'string', admin_email: 'string', admin_password: 'string', plan: 'string' },
        required: ['organization_name', 'subdomain', 'admin_full_name', 'admin_email', 'admin_password'],
        text: ['organization_name', 'admin_full_name'], formatted: ['subdomain', 'admin_email', 'plan', 'admin_phone'],
      },
      {
        name: 'login', method: 'POST', path: () => '/api/v1/auth/login', auth: 'none', base: () => ({ email: adminEmail, password: PASSWORD }),
        types: { email: 'string', password: 'string', subdomain: 'string' }, required: ['email', 'password'],
        text: [], formatted: ['email', 'subdomain'],
      },
      {
        name: 'refresh', method: 'POST', path: () => '/api/v1/auth/refresh', auth: 'none', base: () => ({ refresh_token: refreshToken }),
        types: { refresh_token: 'string' }, required: ['refresh_token'], text: [], formatted: ['refresh_token'],
      },
      {
        // An unknown token is a 204 on logout by design (revocation tells nothing), so no format cases here.
        name: 'logout', method: 'POST', path: () => '/api/v1/auth/logout', auth: 'none', base: () => ({ refresh_token: refreshToken }),
        types: { refresh_token: 'string' }, required: ['refresh_token'], text: [], formatted: [],
      },
      {
        name: 'forgot-password', method: 'POST', path: () => '/api/v1/auth/forgot-password', auth: 'none', base: () => ({ email: adminEmail }),
        types: { email: 'string', subdomain: 'string' }, required: ['email'], text: [], formatted: ['email', 'subdomain'],
      },
      {
        name: 'reset-password', method: 'POST', path: () => '/api/v1/auth/reset-password', auth: 'none',
        base: () => ({ token: 'a'.repeat(43), new_password: 'Another-Pass-94' }),
        types: { token: 'string', new_password: 'string' }, required: ['token', 'new_password'], text: [], formatted: ['token'],
      },
      {
        name: 'users.create', method: 'POST', path: () => '/api/v1/users', auth: 'admin',
        base: () => ({ email: `new-${randomUUID().slice(0, 8)}@example.com`, password: 'Another-Pass-94', full_name: 'New Person', role: 'ANALYST' }),
        types: { email: 'string', password: 'string', full_name: 'string', role: 'string' }, required: ['email', 'password', 'full_name'],
        text: ['full_name'], formatted: ['email', 'role'],
      },
      {
        name: 'users.update', method: 'PATCH', path: () => `/api/v1/users/${analystId}`, auth: 'admin', base: () => ({ full_name: 'Renamed Person', role: 'VIEWER' }),
        types: { full_name: 'string', role: 'string', is_active: 'boolean' }, required: [], text: ['full_name'], formatted: ['role'],
      },
      {
        name: 'users.me.password', method: 'POST', path: () => '/api/v1/users/me/password', auth: 'admin',
        base: () => ({ current_password: PASSWORD, new_password: 'Brand-New-Pass-42' }),
        types: { current_password: 'string', new_password: 'string' }, required: ['current_password', 'new_password'], text: [], formatted: [],
      },
      {
        name: 'api-keys.create', method: 'POST', path: () => '/api/v1/api-keys', auth: 'admin', base: () => ({ key_name: 'attack key', scopes: ['read:transactions'] }),
        types: { key_name: 'string', scopes: 'array', rate_limit_per_minute: 'number', expires_at: 'string' }, required: ['key_name', 'scopes'],
        text: ['key_name'], formatted: ['expires_at'],
      },
      {
        name: 'api-keys.roll', method: 'POST', path: () => `/api/v1/api-keys/${extraKeyId}/roll`, auth: 'admin', base: () => ({ grace_seconds: 60 }),
        types: { grace_seconds: 'number' }, required: [], text: [], formatted: [],
      },
      {
        name: 'tenants.update', method: 'PUT', path: () => '/api/v1/tenants/me', auth: 'admin',
        base: () => ({ organization_name: 'Renamed Org', ml_config: { risk_threshold: 0.7 } }),
        types: { organization_name: 'string', admin_full_name: 'string', admin_email: 'string', ml_config: 'object', settings: 'object' }, required: [],
        text: ['organization_name'], formatted: ['admin_email', 'admin_phone'],
      },
      {
        name: 'accounts.create', method: 'POST', path: () => '/api/v1/accounts', auth: 'key', base: () => ({ external_ref: 'ext-attack', holder_name: 'Holder', country: 'DE' }),
        types: { external_ref: 'string', holder_name: 'string', country: 'string', status: 'string' }, required: ['external_ref'],
        text: ['holder_name', 'external_ref'], formatted: ['country', 'status'],
      },
      {
        name: 'transactions.create', method: 'POST', path: () => '/api/v1/transactions', auth: 'key', base: txn,
        types: { account_ref: 'string', amount: 'amount', currency: 'string', merchant: 'string', country: 'string', ip_address: 'string', metadata: 'object' },
        required: ['amount', 'currency', 'merchant'], text: ['merchant', 'account_ref'], formatted: ['currency', 'country', 'ip_address', 'account_id', 'txn_time', 'merchant_category'],
      },
      {
        name: 'transactions.batch', method: 'POST', path: () => '/api/v1/transactions/batch', auth: 'key', base: () => ({ transactions: [txn(), txn()] }),
        types: { transactions: 'array' }, required: ['transactions'], text: [], formatted: [],
      },
      {
        name: 'alerts.update', method: 'PATCH', path: () => `/api/v1/alerts/${alertId}`, auth: 'key', base: () => ({ handled: true, resolution: 'FRAUD', note: 'checked' }),
        types: { handled: 'boolean', resolution: 'string', note: 'string', assignee_id: 'number' }, required: [], text: ['note'], formatted: ['resolution'],
      },
    ];

    for (const r of routes) {
      const at = (name: string, c: Omit<Case, 'name' | 'method' | 'path' | 'auth'>) => cases.push({ name: `${r.name}: ${name}`, method: r.method, path: r.path(), auth: r.auth, ...c });
      const baseText = JSON.stringify(r.base());

      // Syntax and framing.
      at('malformed JSON', { raw: '{"a": ' });
      at('truncated JSON', { raw: baseText.slice(0, Math.floor(baseText.length / 2)) });
      at('trailing garbage', { raw: `${baseText}}` });
      at('single quotes', { raw: baseText.replace(/"/g, "'") });
      at('NaN literal', { raw: baseText.replace(/}$/, ',"x":NaN}') });
      at('empty body with JSON content type', { raw: '' });
      at('text/plain', { raw: baseText, contentType: 'text/plain' });
      at('form-urlencoded', { raw: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' });
      at('multipart', { raw: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n', contentType: 'multipart/form-data; boundary=x' });
      at('xml', { raw: '<a>1</a>', contentType: 'application/xml' });
      at('JSON array body', { json: [r.base()] });
      at('JSON string body', { raw: '"hello"' });
      at('JSON number body', { raw: '42' });
      at('JSON null body', { raw: 'null', detail: /JSON object/ });
      // Shape.
      at('extra field', { json: { ...r.base(), unexpected_field: 1 } });
      at('forged tenant_id', { json: { ...r.base(), tenant_id: other.tenantId } });
      at('forged id', { json: { ...r.base(), id: randomUUID() } });
      at('__proto__ key', { raw: baseText.replace(/}$/, ',"__proto__":{"isAdmin":true}}') });
      at('constructor.prototype key', { raw: baseText.replace(/}$/, ',"constructor":{"prototype":{"isAdmin":true}}}') });
      // Size and depth.
      at('oversize body', { raw: baseText.replace(/}$/, `,"pad":"${'x'.repeat(1024 * 1024 + 100)}"}`), status: 413 });
      at('deep nesting in an extra field', { raw: baseText.replace(/}$/, `,"deep":${nested(2000)}}`) });
      at('very deep nesting as the body', { raw: '['.repeat(200_000) + ']'.repeat(200_000) });
      at('very deep object nesting as the body', { raw: nested(100_000), detail: /nest at most/ });
      for (const field of r.required) {
        at(`missing ${field}`, { json: Object.fromEntries(Object.entries(r.base()).filter(([k]) => k !== field)) });
        at(`null ${field}`, { json: { ...r.base(), [field]: null } });
      }
      for (const [field, type] of Object.entries(r.types)) {
        for (const value of WRONG_VALUES[type]) at(`${field} as ${JSON.stringify(value)}`, { json: { ...r.base(), [field]: value } });
      }
      for (const field of r.text) {
        at(`NUL byte in ${field}`, { json: { ...r.base(), [field]: `${r.base()[field]}\u0000x` } });
        at(`invalid UTF-8 (0xff) in ${field}`, { raw: withBytes(r.base(), field, [0xff, 0xfe]), detail: /UTF-8/ });
        at(`invalid UTF-8 (truncated sequence) in ${field}`, { raw: withBytes(r.base(), field, [0xe2, 0x82]), detail: /UTF-8/ });
        at(`overlong UTF-8 in ${field}`, { raw: withBytes(r.base(), field, [0xc0, 0xaf]), detail: /UTF-8/ });
        at(`UTF-16 surrogate in ${field}`, { raw: withBytes(r.base(), field, [0xed, 0xa0, 0x80]), detail: /UTF-8/ });
        at(`oversize ${field}`, { json: { ...r.base(), [field]: 'x'.repeat(100_000) } });
      }
      for (const field of r.formatted) {
        for (const value of SQL_INJECTION) at(`SQL injection in ${field}: ${value}`, { json: { ...r.base(), [field]: value } });
        at(`NUL byte in ${field}`, { json: { ...r.base(), [field]: 'a\u0000b' } });
        at(`CR/LF in ${field}`, { json: { ...r.base(), [field]: 'a\r\nSet-Cookie: x=1' } });
      }
    }

    // transactions: amounts, currencies, countries, references (POST and each batch item).
    const txnCase = (name: string, body: Record<string, unknown>) => {
      cases.push({ name: `transactions.create: ${name}`, method: 'POST', path: '/api/v1/transactions', auth: 'key', json: body });
      cases.push({ name: `transactions.batch: item ${name}`, method: 'POST', path: '/api/v1/transactions/batch', auth: 'key', json: { transactions: [txn(), body] } });
    };
    const amounts: unknown[] = [-1, '-1', 0, '0', '0.00', 'NaN', 'Infinity', '1e3', '0x10', '12.345', '1,50', ' 12', '12 ', '+5', '', '١٢', 1e-7,
      '123456789012345', '999999999999999999999', 12.345, '0.0001', '.5', '5.', '1_000'];
    for (const amount of amounts) txnCase(`amount ${JSON.stringify(amount)}`, { ...txn(), amount });
    cases.push({ name: 'transactions.create: amount 1e309 (Infinity after parsing)', method: 'POST', path: '/api/v1/transactions', auth: 'key',
      raw: JSON.stringify(txn()).replace('"12.50"', '1e309') });
    cases.push({ name: 'transactions.create: amount -1e309', method: 'POST', path: '/api/v1/transactions', auth: 'key', raw: JSON.stringify(txn()).replace('"12.50"', '-1e309') });
    txnCase('JPY amount with decimals', { ...txn(), currency: 'JPY', amount: '100.5' });
    txnCase('BHD amount with four decimals', { ...txn(), currency: 'BHD', amount: '1.0001' });
    for (const currency of ['XXX', 'eur', 'EURO', 'EU', '', 'ZWD', '€', 'E\u0000R']) txnCase(`currency ${JSON.stringify(currency)}`, { ...txn(), currency });
    for (const country of ['XX', 'ZZ', 'DEU', 'de', 'UK', '', '0'.repeat(2)]) txnCase(`country ${JSON.stringify(country)}`, { ...txn(), country });
    txnCase('account_id not a UUID', { ...txn(), account_ref: undefined, account_id: 'not-a-uuid' });
    txnCase("account_id of another tenant's account", { ...txn(), account_ref: undefined, account_id: otherAccountId });
    txnCase('account_id unknown', { ...txn(), account_ref: undefined, account_id: randomUUID() });
    txnCase('both account_id and account_ref', { ...txn(), account_id: accountId });
    txnCase('neither account_id nor account_ref', { ...txn(), account_ref: undefined });
    txnCase('txn_time far in the future', { ...txn(), txn_time: '2999-01-01T00:00:00Z' });
    txnCase('txn_time before 2000', { ...txn(), txn_time: '1970-01-01T00:00:00Z' });
    txnCase('txn_time not a date', { ...txn(), txn_time: '2024-02-30T25:61:00Z' });
    txnCase('ip_address invalid', { ...txn(), ip_address: '999.1.1.1' });
    txnCase('merchant_category not an MCC', { ...txn(), merchant_category: '12a4' });
    txnCase('metadata an array', { ...txn(), metadata: [1, 2] });
    txnCase('metadata too deep', { ...txn(), metadata: JSON.parse(nested(10)) });
    txnCase('metadata too large', { ...txn(), metadata: { blob: 'x'.repeat(5000) } });
    txnCase('metadata with NUL', { ...txn(), metadata: { a: 'x\u0000y' } });
    txnCase('forged status', { ...txn(), status: 'APPROVED' });
    txnCase('forged risk_score', { ...txn(), risk_score: 0 });

    const batch = (name: string, c: Omit<Case, 'name' | 'method' | 'path' | 'auth'>) =>
      cases.push({ name: `transactions.batch: ${name}`, method: 'POST', path: '/api/v1/transactions/batch', auth: 'key', ...c });
    batch('1001 items', { json: { transactions: Array.from({ length: 1001 }, txn) } });
    batch('5000 items', { json: { transactions: Array.from({ length: 5000 }, txn) } });
    batch('empty array', { json: { transactions: [] } });
    batch('items not objects', { json: { transactions: [1, 'two', null] } });
    batch('nested arrays', { json: { transactions: [[txn()]] } });
    batch('one bad item among good ones', { json: { transactions: [...Array.from({ length: 50 }, txn), { ...txn(), amount: '-5' }] } });
    batch('nested tenant_id in an item', { json: { transactions: [txn(), { ...txn(), tenant_id: other.tenantId }] } });
    batch('__proto__ in an item', { raw: `{"transactions":[${JSON.stringify(txn()).replace(/}$/, ',"__proto__":{"tenant_id":"x"}}')}]}` });
    batch('constructor in an item', { raw: `{"transactions":[${JSON.stringify(txn()).replace(/}$/, ',"constructor":{"prototype":{"x":1}}}')}]}` });
    batch('item with NUL in merchant', { json: { transactions: [txn(), { ...txn(), merchant: 'Sh\u0000op' }] } });

    // Route-specific fields with bad values.
    const field = (route: string, method: Case['method'], path: string, auth: Auth, base: Record<string, unknown>, name: string, value: unknown) =>
      cases.push({ name: `${route}: ${name} = ${JSON.stringify(value)}`, method, path, auth, json: { ...base, [name]: value } });
    const keyBase = { key_name: 'attack key', scopes: ['read:transactions'] };
    for (const scopes of [['admin:*'], ['read:transactions', 'read:transactions'], ['READ:TRANSACTIONS'], [''], [1], Array(50).fill('read:alerts')]) field('api-keys.create', 'POST', '/api/v1/api-keys', 'admin', keyBase, 'scopes', scopes);
    for (const rate of [0, -1, 1.5, 1_000_001, 'abc']) field('api-keys.create', 'POST', '/api/v1/api-keys', 'admin', keyBase, 'rate_limit_per_minute', rate);
    for (const expires of ['2000-01-01T00:00:00Z', 'tomorrow', '2024-13-01', '']) field('api-keys.create', 'POST', '/api/v1/api-keys', 'admin', keyBase, 'expires_at', expires);
    field('api-keys.create', 'POST', '/api/v1/api-keys', 'admin', keyBase, 'key_name', '');
    for (const grace of [-1, 604_801, 1.5, '60', 1e12]) field('api-keys.roll', 'POST', `/api/v1/api-keys/${extraKeyId}/roll`, 'admin', {}, 'grace_seconds', grace);
    const alertBase = { handled: true };
    for (const resolution of ['HACKED', 'fraud', '']) field('alerts.update', 'PATCH', `/api/v1/alerts/${alertId}`, 'key', alertBase, 'resolution', resolution);
    for (const assignee of [0, -1, 1.5, '1', 2_147_483_648, 999_999, otherUserId]) field('alerts.update', 'PATCH', `/api/v1/alerts/${alertId}`, 'key', alertBase, 'assignee_id', assignee);
    field('alerts.update', 'PATCH', `/api/v1/alerts/${alertId}`, 'key', alertBase, 'note', 'x'.repeat(4001));
    for (const role of ['SUPERADMIN', 'admin', 'OWNER']) field('users.update', 'PATCH', `/api/v1/users/${analystId}`, 'admin', {}, 'role', role);
    const tenantBase = { organization_name: 'Renamed Org' };
    for (const ml of [{ risk_threshold: 1.5 }, { risk_threshold: -0.1 }, { risk_threshold: '0.5' }, { auto_block: 'yes' }, { notification_email: 'nope' }, { unknown_knob: 1 }]) {
      field('tenants.update', 'PUT', '/api/v1/tenants/me', 'admin', tenantBase, 'ml_config', ml);
    }
    cases.push({ name: 'tenants.update: risk_threshold 1e309', method: 'PUT', path: '/api/v1/tenants/me', auth: 'admin', raw: '{"ml_config":{"risk_threshold":1e309}}' });
    field('tenants.update', 'PUT', '/api/v1/tenants/me', 'admin', tenantBase, 'settings', { note: 'a\u0000b' });
    field('tenants.update', 'PUT', '/api/v1/tenants/me', 'admin', tenantBase, 'settings', { ['k\u0000']: 1 });
    cases.push({ name: 'tenants.update: settings nested 2000 deep', method: 'PUT', path: '/api/v1/tenants/me', auth: 'admin', raw: `{"settings":${nested(2000)}}` });
    cases.push({ name: 'tenants.update: __proto__ nested in settings', method: 'PUT', path: '/api/v1/tenants/me', auth: 'admin', raw: '{"settings":{"a":{"__proto__":{"x":1}}}}' });
    for (const sub of ['ab', 'admin', 'www', '-abc', 'abc-', 'ABC DEF', 'a'.repeat(65), 'ümlaut']) {
      cases.push({ name: `signup: subdomain ${JSON.stringify(sub)}`, method: 'POST', path: '/api/v1/tenants/signup', auth: 'none', json: signupBody({ subdomain: sub }) });
    }
    for (const password of ['short1A', 'alllowercase1', 'NoDigitsHere', 'Password1', 'x'.repeat(10_000)]) {
      cases.push({ name: `signup: admin_password ${JSON.stringify(password.slice(0, 20))}`, method: 'POST', path: '/api/v1/tenants/signup', auth: 'none', json: signupBody({ admin_password: password }) });
    }
    cases.push({ name: 'signup: plan ULTIMATE', method: 'POST', path: '/api/v1/tenants/signup', auth: 'none', json: signupBody({ plan: 'ULTIMATE' }) });
    cases.push({ name: 'signup: forged status ACTIVE', method: 'POST', path: '/api/v1/tenants/signup', auth: 'none', json: { ...signupBody(), status: 'ACTIVE' } });
    // A wrong password for a real account is a 401 that is audited on purpose (auth.login_failed).
    cases.push({ name: 'login: SQL injection as the password of a real account', method: 'POST', path: '/api/v1/auth/login', auth: 'none',
      json: { email: adminEmail, password: "' OR '1'='1" }, status: 401, audited: 1 });
    cases.push({ name: 'login: SQL injection as the password of an unknown e-mail', method: 'POST', path: '/api/v1/auth/login', auth: 'none',
      json: { email: 'nobody@example.com', password: "' OR '1'='1" }, status: 401 });

    // Ids in paths.
    const badInts = ['abc', '0', '-1', '1e3', '0x10', '1.5', '99999999999', '2147483648', '%201', '1%00', "1'%20OR%20'1'='1", '999999'];
    const intRoutes: [string, Case['method'], (id: string) => string, unknown][] = [
      ['users.update', 'PATCH', (id) => `/api/v1/users/${id}`, { full_name: 'X Y' }],
      ['users.delete', 'DELETE', (id) => `/api/v1/users/${id}`, undefined],
      ['api-keys.revoke', 'DELETE', (id) => `/api/v1/api-keys/${id}`, undefined],
      ['api-keys.roll', 'POST', (id) => `/api/v1/api-keys/${id}/roll`, {}],
    ];
    for (const [name, method, path, body] of intRoutes) for (const id of badInts) cases.push({ name: `${name}: id ${id}`, method, path: path(id), auth: 'admin', json: body });
    cases.push({ name: "users.delete: another tenant's user", method: 'DELETE', path: `/api/v1/users/${otherUserId}`, auth: 'admin', status: 404 });
    cases.push({ name: "api-keys.revoke: another tenant's key", method: 'DELETE', path: `/api/v1/api-keys/${other.apiKeyId}`, auth: 'admin', status: 404 });
    const badUuids = ['not-a-uuid', `${randomUUID()}0`, randomUUID().slice(0, -1), '00000000-0000-0000-0000-00000000000g', "'%20OR%201=1--", '%00', randomUUID().replace(/-/g, '').slice(1)];
    for (const id of [...badUuids, randomUUID(), otherAlertId]) {
      cases.push({ name: `alerts.update: id ${id}`, method: 'PATCH', path: `/api/v1/alerts/${id}`, auth: 'key', json: { handled: true } });
    }
    for (const list of ['accounts', 'transactions', 'alerts']) {
      for (const id of badUuids.slice(0, 4)) cases.push({ name: `${list}.get: id ${id}`, method: 'GET', path: `/api/v1/${list}/${id}`, auth: 'key' });
    }
    cases.push({ name: "accounts.get: another tenant's account", method: 'GET', path: `/api/v1/accounts/${otherAccountId}`, auth: 'key', status: 404 });

    // List query strings.
    const lists: [string, Auth][] = [['transactions', 'key'], ['accounts', 'key'], ['alerts', 'key'], ['users', 'admin'], ['api-keys', 'admin']];
    for (const [list, auth] of lists) {
      const q = (name: string, query: string) => cases.push({ name: `${list}.list: ${name}`, method: 'GET', path: `/api/v1/${list}?${query}`, auth });
      for (const limit of ['0', '101', '-1', 'abc', '1.5', '', 'NaN', 'Infinity', '1e309', '99999999999999999999']) q(`limit=${limit}`, `limit=${encodeURIComponent(limit)}`);
      q('limit twice', 'limit=1&limit=2');
      q('limit[]', 'limit[]=1');
      const cursor = cursors[list];
      const [payload, signature] = cursor.split('.');
      q('cursor with a flipped payload character', `starting_after=${flip(payload, 2)}.${signature}`);
      q('cursor with a flipped signature character', `starting_after=${payload}.${flip(signature, 3)}`);
      q('cursor with a changed payload', `starting_after=${Buffer.from(JSON.stringify(['2000-01-01', randomUUID()])).toString('base64url')}.${signature}`);
      q('cursor without signature', `starting_after=${payload}`);
      q('cursor with an empty signature', `starting_after=${payload}.`);
      q('cursor truncated', `starting_after=${cursor.slice(0, -4)}`);
      q('cursor garbage', 'starting_after=abc');
      q('cursor too long', `starting_after=${'a'.repeat(600)}.${'b'.repeat(22)}`);
      q('cursor with NUL', `starting_after=${payload}%00.${signature}`);
      q('cursor SQL injection', `starting_after=${encodeURIComponent("' OR 1=1 --")}`);
      q('cursor twice', `starting_after=${cursor}&starting_after=${cursor}`);
      q('forged tenant_id', `tenant_id=${other.tenantId}`);
      q('unknown parameter', 'foo=bar');
      q('__proto__ parameter', '__proto__[x]=1');
    }
    // A cursor is bound to the list that issued it.
    const crossed: [string, string, Auth][] = [['alerts', 'transactions', 'key'], ['transactions', 'accounts', 'key'], ['accounts', 'alerts', 'key'], ['api-keys', 'users', 'admin'], ['users', 'api-keys', 'admin']];
    for (const [list, from, auth] of crossed) {
      cases.push({ name: `${list}.list: cursor issued by ${from}`, method: 'GET', path: `/api/v1/${list}?starting_after=${cursors[from]}`, auth });
    }
    for (const [list, query] of [
      ['transactions', 'account_id=not-a-uuid'], ['transactions', 'from=2020-13-45'], ['transactions', 'from=0001-01-01T00:00:00Z'], ['transactions', 'to=tomorrow'],
      ['transactions', 'min_amount=-1'], ['transactions', 'min_amount=1e3'], ['transactions', 'status=HACKED'], ['transactions', `risk_level=${encodeURIComponent("' OR 1=1--")}`],
      ['alerts', 'handled=maybe'], ['alerts', 'severity=x'], ['alerts', 'from=2020-02-30T00:00:00Z'], ['accounts', 'status=open'], ['accounts', 'external_ref='],
      ['accounts', `external_ref=${'x'.repeat(200)}`],
    ]) cases.push({ name: `${list}.list: ${query.slice(0, 60)}`, method: 'GET', path: `/api/v1/${list}?${query}`, auth: 'key' });

    // Headers: Idempotency-Key on an otherwise valid create, X-Request-Id and credentials with CR/LF/NUL (raw socket).
    for (const [route, path, body] of [['accounts.create', '/api/v1/accounts', { external_ref: 'idem-attack' }], ['transactions.create', '/api/v1/transactions', txn()],
      ['transactions.batch', '/api/v1/transactions/batch', { transactions: [txn()] }]] as const) {
      for (const key of ['', 'has space', 'k'.repeat(256), 'caf\xe9', "'; DROP TABLE idempotency_keys; --"]) {
        cases.push({ name: `${route}: Idempotency-Key ${JSON.stringify(key.slice(0, 30))}`, method: 'POST', path, auth: 'key', json: body, headers: { 'Idempotency-Key': key } });
      }
      const text = JSON.stringify(body);
      for (const [name, line] of [
        ['Idempotency-Key with CR/LF', 'Idempotency-Key: abc\r\nX-Injected: 1\r\n'],
        ['Idempotency-Key with bare CR', 'Idempotency-Key: abc\rX-Injected: 1\r\n'],
        ['Idempotency-Key with bare LF', 'Idempotency-Key: abc\nX-Injected: 1\r\n'],
        ['Idempotency-Key with NUL', 'Idempotency-Key: abc\u0000def\r\n'],
        ['Idempotency-Key with DEL', 'Idempotency-Key: abc\u007fdef\r\n'],
        ['X-Request-Id with bare CR', 'X-Request-Id: abc\rSet-Cookie: x=1\r\n'],
        ['X-Request-Id with NUL', 'X-Request-Id: abc\u0000def\r\n'],
        ['X-Request-Id with obs-fold', 'X-Request-Id: abc\r\n def\r\n'],
        ['X-API-Key with NUL', null],
      ] as const) {
        const credentials = line === null ? `X-API-Key: ${tenant.apiKey}\u0000\r\n` : authHeaderLine('key');
        cases.push({ name: `${route}: ${name}`, method: 'POST', path, auth: 'none', raw: line === null ? text : text.slice(0, -1),
          rawHeaders: `${credentials}Content-Type: application/json\r\n${line ?? ''}` });
      }
    }
    for (const [name, value] of [['with CR/LF and a header', 'abc\r\nX-Injected: 1'], ['with <script>', '<script>alert(1)</script>'], ['1000 characters', 'r'.repeat(1000)]]) {
      cases.push({ name: `accounts.create (malformed): X-Request-Id ${name}`, method: 'POST', path: '/api/v1/accounts', auth: 'none',
        raw: '{"external_ref":', rawHeaders: `${authHeaderLine('key')}Content-Type: application/json\r\nX-Request-Id: ${value}\r\n` });
    }
  }

  // audit_chain_heads is the sealer's, written after commit on its own schedule (the audited login failure gets sealed).
  const TABLE_SNAPSHOT = `
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT IN ('migrations', 'typeorm_metadata', 'audit_chain_heads') AND NOT c.relispartition
     ORDER BY 1`;
  /** Row count of every table, and a content digest of those whose rows nothing in the corpus may touch. */
  const snapshot = () =>
    withClient(t.db.ownerUrl, async (client) => {
      const tables = (await client.query(TABLE_SNAPSHOT)).rows.map((r) => r.name as string);
      const out: Record<string, string | number> = {};
      for (const table of tables) out[table] = (await client.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n;
      for (const table of ['tenants', 'accounts', 'transactions', 'fraud_alerts', 'idempotency_keys', 'tenant_monthly_usage', 'tenant_refresh_tokens', 'tenant_password_resets']) {
        if (!tables.includes(table)) continue;
        out[`${table} digest`] = (await client.query(`SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS d FROM "${table}" t`)).rows[0].d;
      }
      out['users digest'] = (await client.query(`SELECT md5(coalesce(string_agg(concat_ws('|', id, email, role, full_name, is_active, password_hash), ',' ORDER BY id), '')) AS d FROM tenant_users`)).rows[0].d;
      out['api keys digest'] = (await client.query(`SELECT md5(coalesce(string_agg(concat_ws('|', id, key_name, scopes, is_active, expires_at, rate_limit_per_minute), ',' ORDER BY id), '')) AS d FROM tenant_api_keys`)).rows[0].d;
      return out;
    });

  async function send(c: Case): Promise<{ status: number; contentType: string; body: any; headers: Record<string, string> }> {
    // Raw bodies go byte for byte over a socket (supertest would serialise a Buffer as JSON).
    if (c.rawHeaders !== undefined || c.raw !== undefined) {
      const extra = Object.entries(c.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      const headers = c.rawHeaders ?? `${authHeaderLine(c.auth)}Content-Type: ${c.contentType ?? 'application/json'}\r\n${extra}`;
      const res = await rawRequest(port, `${c.method} ${c.path} HTTP/1.1\r\nHost: localhost\r\n${headers}`, c.raw ?? '');
      let body: any;
      try { body = JSON.parse(res.body); } catch { body = res.body; }
      return { status: res.status, contentType: res.headers['content-type'] ?? '', body, headers: res.headers };
    }
    let req = authed(request(t.http)[c.method.toLowerCase() as 'post'](c.path), c.auth);
    for (const [name, value] of Object.entries(c.headers ?? {})) req = req.set(name, value);
    let res: request.Response;
    if (c.json !== undefined) {
      res = await req.send(c.json as object).buffer(true).parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (chunk: string) => (text += chunk));
        r.on('end', () => done(null, text));
      });
    } else {
      res = await req.buffer(true).parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (chunk: string) => (text += chunk));
        r.on('end', () => done(null, text));
      });
    }
    let body: any = res.body;
    try { body = JSON.parse(res.body); } catch { /* not JSON */ }
    return { status: res.status, contentType: String(res.headers['content-type'] ?? ''), body, headers: res.headers as Record<string, string> };
  }

  it('has at least 200 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it('refuses every case with a 4xx problem+json carrying a request_id, and leaves every table as it was', async () => {
    const before = await snapshot();
    const auditBefore = await withClient(t.db.ownerUrl, async (client) => (await client.query(`SELECT count(*)::int AS n FROM audit_logs`)).rows[0].n);
    const offenders: string[] = [];
    for (const c of cases) {
      let res;
      try {
        res = await send(c);
      } catch (error) {
        offenders.push(`${c.name}: request failed: ${(error as Error).message}`);
        continue;
      }
      const problems: string[] = [];
      if (c.status !== undefined ? res.status !== c.status : res.status < 400 || res.status > 499) problems.push(`status ${res.status}`);
      if (!res.contentType.startsWith('application/problem+json')) problems.push(`content-type ${res.contentType}`);
      if (typeof res.body?.request_id !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(res.body.request_id)) problems.push(`request_id ${JSON.stringify(res.body?.request_id)}`);
      if (res.body?.status !== undefined && res.body.status !== res.status) problems.push(`body status ${res.body.status}`);
      if (c.detail && !c.detail.test(String(res.body?.detail))) problems.push(`detail ${JSON.stringify(res.body?.detail)} does not match ${c.detail}`);
      if (res.headers['x-injected'] !== undefined || res.headers['set-cookie'] !== undefined) problems.push('injected header echoed');
      if (problems.length) offenders.push(`${c.name}: ${problems.join(', ')} ${JSON.stringify(res.body).slice(0, 500)}`);
    }
    expect(offenders).toEqual([]);

    const after = await snapshot();
    const auditAfter = await withClient(t.db.ownerUrl, async (client) => (await client.query(`SELECT count(*)::int AS n FROM audit_logs`)).rows[0].n);
    const expectedAudit = cases.reduce((sum, c) => sum + (c.audited ?? 0), 0);
    expect({ ...after, audit_logs: auditAfter - auditBefore }).toEqual({ ...before, audit_logs: expectedAudit });
    const audited = await withClient(t.db.ownerUrl, async (client) =>
      (await client.query(`SELECT action FROM audit_logs ORDER BY id DESC LIMIT $1`, [expectedAudit])).rows.map((r) => r.action));
    expect(audited).toEqual(['auth.login_failed']);
  }, 600_000);
});
