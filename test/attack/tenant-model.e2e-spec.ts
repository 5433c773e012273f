import fc from 'fast-check';
import request from 'supertest';
import { SCOPES } from '../../src/common/auth-context.js';
import { login, seedUser } from '../support/accounts.js';
import { MODES, startAppIn } from '../support/connection-modes.js';
import { seedTenant } from '../support/fixtures.js';
import type { TestApp } from '../support/test-app.js';

/** What one tenant did, as the model remembers it. */
interface TenantModel {
  accounts: Set<string>;
  transactions: Set<string>;
  alerts: Map<string, boolean>; // id → handled
  keys: Map<number, boolean>; // id → active (keys made during the run)
}

interface Real {
  t: TestApp;
  tenants: Array<{ tenantId: string; apiKey: string; bearer: string; firstKeyId: number }>;
}

type Model = TenantModel[];
const TENANTS = 3;
const pick = <T>(items: Iterable<T>, index: number): T | undefined => {
  const list = [...items];
  return list.length ? list[index % list.length] : undefined;
};

/** After every step: each tenant's view through the API equals the model of what it did, and nothing else. */
async function checkViews(model: Model, real: Real): Promise<void> {
  for (let i = 0; i < TENANTS; i++) {
    const { apiKey, bearer, firstKeyId } = real.tenants[i];
    const list = async (path: string, auth: [string, string]) =>
      (await request(real.t.http).get(`${path}?limit=100`).set(...auth).expect(200)).body.data as Array<Record<string, any>>;
    const key: [string, string] = ['X-API-Key', apiKey];
    expect(new Set((await list('/api/v1/accounts', key)).map((row) => row.id))).toEqual(model[i].accounts);
    expect(new Set((await list('/api/v1/transactions', key)).map((row) => row.id))).toEqual(model[i].transactions);
    expect(new Map((await list('/api/v1/alerts', key)).map((row) => [row.id, row.handled]))).toEqual(model[i].alerts);
    const keys = (await list('/api/v1/api-keys', ['Authorization', bearer])).filter((row) => row.id !== firstKeyId);
    expect(new Map(keys.map((row) => [row.id, row.is_active]))).toEqual(model[i].keys);
  }
}

abstract class Step implements fc.AsyncCommand<Model, Real> {
  constructor(readonly tenant: number) {}
  check(_model: Readonly<Model>): boolean {
    return true;
  }
  abstract act(model: Model, real: Real): Promise<void>;
  async run(model: Model, real: Real): Promise<void> {
    await this.act(model, real);
    await checkViews(model, real);
  }
  abstract toString(): string;
}

class CreateAccount extends Step {
  async act(model: Model, real: Real) {
    const res = await request(real.t.http).post('/api/v1/accounts').set('X-API-Key', real.tenants[this.tenant].apiKey)
      .send({ external_ref: `ref-${Math.random().toString(36).slice(2)}`, country: 'FR' }).expect(201);
    model[this.tenant].accounts.add(res.body.id);
  }
  toString() { return `CreateAccount(${this.tenant})`; }
}

class Ingest extends Step {
  constructor(tenant: number, readonly accountIndex: number) { super(tenant); }
  check(model: Readonly<Model>) { return model[this.tenant].accounts.size > 0; }
  async act(model: Model, real: Real) {
    const accountId = pick(model[this.tenant].accounts, this.accountIndex)!;
    const res = await request(real.t.http).post('/api/v1/transactions').set('X-API-Key', real.tenants[this.tenant].apiKey)
      .send({ account_id: accountId, amount: '42.10', currency: 'EUR', merchant: 'Model Shop' }).expect(201);
    model[this.tenant].transactions.add(res.body.transaction_id);
    if (res.body.alert_id) model[this.tenant].alerts.set(res.body.alert_id, false);
  }
  toString() { return `Ingest(${this.tenant}, ${this.accountIndex})`; }
}

class HandleAlert extends Step {
  constructor(tenant: number, readonly alertIndex: number) { super(tenant); }
  check(model: Readonly<Model>) { return model[this.tenant].alerts.size > 0; }
  async act(model: Model, real: Real) {
    const alertId = pick(model[this.tenant].alerts.keys(), this.alertIndex)!;
    await request(real.t.http).patch(`/api/v1/alerts/${alertId}`).set('X-API-Key', real.tenants[this.tenant].apiKey)
      .send({ handled: true, resolution: 'LEGITIMATE' }).expect(200);
    model[this.tenant].alerts.set(alertId, true);
  }
  toString() { return `HandleAlert(${this.tenant}, ${this.alertIndex})`; }
}

class CreateKey extends Step {
  async act(model: Model, real: Real) {
    const res = await request(real.t.http).post('/api/v1/api-keys').set('Authorization', real.tenants[this.tenant].bearer)
      .send({ key_name: 'model key', scopes: ['read:alerts'] }).expect(201);
    model[this.tenant].keys.set(res.body.id, true);
  }
  toString() { return `CreateKey(${this.tenant})`; }
}

class RevokeKey extends Step {
  constructor(tenant: number, readonly keyIndex: number) { super(tenant); }
  check(model: Readonly<Model>) { return model[this.tenant].keys.size > 0; }
  async act(model: Model, real: Real) {
    const keyId = pick(model[this.tenant].keys.keys(), this.keyIndex)!;
    const res = await request(real.t.http).delete(`/api/v1/api-keys/${keyId}`).set('Authorization', real.tenants[this.tenant].bearer);
    expect([200, 204]).toContain(res.status);
    model[this.tenant].keys.set(keyId, false);
  }
  toString() { return `RevokeKey(${this.tenant}, ${this.keyIndex})`; }
}

/** Tenant `tenant` aims at another tenant's resources: reads, updates and deletes all miss (404). */
class Trespass extends Step {
  constructor(tenant: number, readonly victim: number, readonly index: number) { super(tenant); }
  check(model: Readonly<Model>) {
    const v = model[this.victim];
    return this.victim !== this.tenant && (v.accounts.size + v.transactions.size + v.alerts.size + v.keys.size) > 0;
  }
  async act(model: Model, real: Real) {
    const me = real.tenants[this.tenant];
    const v = model[this.victim];
    const http = real.t.http;
    const attempts: Array<Promise<request.Response>> = [];
    const account = pick(v.accounts, this.index);
    const txn = pick(v.transactions, this.index);
    const alert = pick(v.alerts.keys(), this.index);
    const key = pick(v.keys.keys(), this.index);
    if (account) {
      attempts.push(request(http).get(`/api/v1/accounts/${account}`).set('X-API-Key', me.apiKey));
      attempts.push(request(http).post('/api/v1/transactions').set('X-API-Key', me.apiKey).send({ account_id: account, amount: '1.00', currency: 'EUR', merchant: 'x' }));
    }
    if (txn) attempts.push(request(http).get(`/api/v1/transactions/${txn}`).set('X-API-Key', me.apiKey));
    if (alert) {
      attempts.push(request(http).get(`/api/v1/alerts/${alert}`).set('Authorization', me.bearer));
      attempts.push(request(http).patch(`/api/v1/alerts/${alert}`).set('X-API-Key', me.apiKey).send({ handled: true, resolution: 'FRAUD' }));
    }
    if (key) attempts.push(request(http).delete(`/api/v1/api-keys/${key}`).set('Authorization', me.bearer));
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(404);
  }
  toString() { return `Trespass(${this.tenant} → ${this.victim}, ${this.index})`; }
}

const tenant = fc.integer({ min: 0, max: TENANTS - 1 });
const index = fc.nat(20);
const commands = [
  tenant.map((i) => new CreateAccount(i)),
  fc.tuple(tenant, index).map(([i, a]) => new Ingest(i, a)),
  fc.tuple(tenant, index).map(([i, a]) => new HandleAlert(i, a)),
  tenant.map((i) => new CreateKey(i)),
  fc.tuple(tenant, index).map(([i, k]) => new RevokeKey(i, k)),
  fc.tuple(tenant, tenant, index).map(([i, v, k]) => new Trespass(i, v, k)),
];

describe.each(MODES)('three tenants under random operations (%s): each sees exactly its own model', (mode) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startAppIn(mode, { poolSize: 3, env: { RATE_LIMIT_ENABLED: 'false', JWT_SECRET: 'model-based-suite-secret-0123456789abcdef' } });
  });
  afterAll(() => t.close());

  async function freshTenants(): Promise<Real['tenants']> {
    const tenants: Real['tenants'] = [];
    for (let i = 0; i < TENANTS; i++) {
      const seeded = await seedTenant(t.db.ownerUrl, { scopes: [...SCOPES] });
      const admin = await seedUser(t.db.ownerUrl, seeded.tenantId, { role: 'ADMIN' });
      const bearer = `Bearer ${(await login(t.http, admin.email)).access_token}`;
      // Half the transactions raise an alert: a threshold low enough for the model's amounts.
      await request(t.http).put('/api/v1/tenants/me').set('Authorization', bearer).send({ ml_config: { risk_threshold: 0 } }).expect(200);
      tenants.push({ tenantId: seeded.tenantId, apiKey: seeded.apiKey, bearer, firstKeyId: seeded.apiKeyId });
    }
    return tenants;
  }

  it('holds for random sequences of creates, reads, updates and deletes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: mode === 'direct' ? 14 : 8 }), async (cmds) => {
        const tenants = await freshTenants();
        const model: Model = Array.from({ length: TENANTS }, () => ({ accounts: new Set(), transactions: new Set(), alerts: new Map(), keys: new Map() }));
        await fc.asyncModelRun(() => ({ model, real: { t, tenants } }), cmds);
      }),
      { numRuns: mode === 'direct' ? 6 : 3, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31), verbose: true },
    );
  }, 240_000);
});
