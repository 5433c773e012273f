import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import createClient from 'openapi-fetch';
import { CLIENT_TYPES_FILE, generateClientTypes } from './client-types.mjs';
import type { paths } from './fraudguard-api.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * An integrator's first hour, through a client generated from openapi.json (openapi-typescript types,
 * openapi-fetch requests) against the real server: sign up, ingest one transaction and a batch, list
 * them, resolve the alert a risky one raised, verify the audit trail. Type-checked against the
 * generated types (`npm run typecheck`), so a document that cannot describe these calls fails there.
 */
describe('a client generated from the OpenAPI document', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('has types generated from the committed openapi.json (regenerate with `npm run openapi`)', async () => {
    const document = JSON.parse(readFileSync(path.resolve('openapi.json'), 'utf8'));
    const committed = readFileSync(CLIENT_TYPES_FILE, 'utf8');
    if ((await generateClientTypes(document)) !== committed) {
      throw new Error('test/openapi/fraudguard-api.ts is not what openapi-typescript generates from openapi.json: run `npm run openapi` and commit it.');
    }
  });

  it('runs the integrator flow: signup, ingest, batch, list, alert resolution, audit verify', async () => {
    const open = createClient<paths>({ baseUrl });

    const signup = await open.POST('/api/v1/tenants/signup', {
      body: {
        organization_name: 'Client Flow GmbH',
        subdomain: 'client-flow',
        admin_full_name: 'Ada Lovelace',
        admin_email: 'ada@client-flow.example',
        admin_password: 'Corr3ct-Horse-Battery',
      },
    });
    expect(signup.response.status).toBe(201);
    const api = createClient<paths>({ baseUrl, headers: { 'X-API-Key': signup.data!.api_key } });

    // Ingest: one ordinary payment, idempotently (a retry with the same key replays the answer).
    const payment = { account_ref: 'cust-1042', amount: '41.50', currency: 'EUR', merchant: 'Corner Bakery', country: 'DE', device_id: 'phone-1', external_id: 'order-1' };
    const idempotencyKey = randomUUID();
    const first = await api.POST('/api/v1/transactions', { body: payment, params: { header: { 'Idempotency-Key': idempotencyKey } } });
    expect(first.response.status).toBe(201);
    expect(first.data).toMatchObject({ amount: '41.50', currency: 'EUR', status: 'APPROVED', account_ref: 'cust-1042' });
    const retried = await api.POST('/api/v1/transactions', { body: payment, params: { header: { 'Idempotency-Key': idempotencyKey } } });
    expect(retried.response.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.data!.id).toBe(first.data!.id);
    expect(first.response.headers.get('ratelimit')).toEqual(expect.any(String));

    // A documented problem arrives typed as the error: the same external_id again.
    const duplicate = await api.POST('/api/v1/transactions', { body: payment });
    expect(duplicate.response.status).toBe(409);
    expect(duplicate.error).toMatchObject({ type: 'https://fraudguard.example/problems/duplicate-external-id', status: 409 });

    // A batch builds the account's history; each result names its item.
    const batch = await api.POST('/api/v1/transactions/batch', {
      body: {
        transactions: [2, 3, 4].map((n) => ({ ...payment, amount: `4${n}.00`, external_id: `order-${n}` })),
      },
    });
    expect(batch.response.status).toBe(201);
    expect(batch.data!.data.map((item) => [item.index, item.external_id, item.status])).toEqual([
      [0, 'order-2', 'APPROVED'],
      [1, 'order-3', 'APPROVED'],
      [2, 'order-4', 'APPROVED'],
    ]);

    // Far above the usual amount, in a new country, from a new device, at a casino: an alert.
    const risky = await api.POST('/api/v1/transactions', {
      body: { account_ref: 'cust-1042', amount: '2000.00', currency: 'EUR', merchant: 'Lucky Casino', merchant_category: '7995', country: 'BR', device_id: 'laptop-9', external_id: 'order-5' },
    });
    expect(risky.response.status).toBe(201);
    expect(risky.data).toMatchObject({ status: 'REVIEW', amount: '2000.00', alert_id: expect.any(String) });

    const listed = await api.GET('/api/v1/transactions', { params: { query: { limit: 10 } } });
    expect(listed.response.status).toBe(200);
    expect(listed.data!.data.map((transaction) => transaction.external_id).sort()).toEqual(['order-1', 'order-2', 'order-3', 'order-4', 'order-5']);
    const one = await api.GET('/api/v1/transactions/{id}', { params: { path: { id: risky.data!.id } } });
    expect(one.data).toEqual(expect.objectContaining({ id: risky.data!.id, amount: '2000.00', alert_id: risky.data!.alert_id }));

    // The work queue, and the alert resolved.
    const queue = await api.GET('/api/v1/alerts', { params: { query: { handled: false } } });
    expect(queue.data!.data.map((alert) => alert.id)).toEqual([risky.data!.alert_id]);
    const resolved = await api.PATCH('/api/v1/alerts/{id}', {
      params: { path: { id: risky.data!.alert_id! } },
      body: { handled: true, resolution: 'FALSE_POSITIVE', note: 'Customer confirmed by phone' },
    });
    expect(resolved.response.status).toBe(200);
    expect(resolved.data).toMatchObject({ handled: true, resolution: 'FALSE_POSITIVE' });

    // The trail of all this, and its hash chain intact.
    const verified = await api.GET('/api/v1/audit-logs/verify');
    expect(verified.response.status).toBe(200);
    expect(verified.data).toMatchObject({ valid: true, first_broken_id: null });
    const trail = await api.GET('/api/v1/audit-logs', { params: { query: { action: 'alert.update' } } });
    expect(trail.response.status).toBe(200);
  });
});
