/**
 * The integrator's walkthrough over real HTTP with one set of credentials (an API key or a bearer
 * token): create and read an account, ingest a risky transaction and a batch, list them, resolve
 * the alert the risky one raised, read and verify the audit trail. Answers each step's status, so a
 * failing step shows by name.
 */
export async function runIntegratorFlow(baseUrl: string, headers: Record<string, string>, label: string): Promise<Record<string, number>> {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const steps: Record<string, number> = {};
  steps['POST /accounts'] = (await call('POST', '/accounts', { external_ref: `${label}-account` })).status;
  steps['GET /accounts'] = (await call('GET', '/accounts')).status;
  // Four everyday payments, then one that breaks the account's pattern (a burst, a new country,
  // device and merchant, a high-risk category, a round amount): above the default threshold, an alert.
  const everyday = { account_ref: `${label}-account`, amount: 12.5, currency: 'EUR', merchant: 'Bakery', country: 'DE', device_id: 'phone-1' };
  const batch = { transactions: [1, 2, 3, 4].map((n) => ({ ...everyday, external_id: `${label}-everyday-${n}` })) };
  steps['POST /transactions/batch'] = (await call('POST', '/transactions/batch', batch)).status;
  const risky = { account_ref: `${label}-account`, amount: 5000, currency: 'EUR', merchant: 'Casino', merchant_category: '7995', country: 'FR', device_id: 'laptop-9' };
  steps['POST /transactions'] = (await call('POST', '/transactions', risky)).status;
  steps['GET /transactions'] = (await call('GET', '/transactions')).status;
  const alerts = await call('GET', '/alerts');
  steps['GET /alerts'] = alerts.status;
  const alertId = alerts.body?.data?.[0]?.id;
  steps['PATCH /alerts/{id}'] = alertId === undefined ? 0 : (await call('PATCH', `/alerts/${alertId}`, { resolution: 'FRAUD', note: 'confirmed' })).status;
  steps['GET /audit-logs'] = (await call('GET', '/audit-logs')).status;
  steps['GET /audit-logs/verify'] = (await call('GET', '/audit-logs/verify')).status;
  return steps;
}

export const INTEGRATOR_FLOW_OK = {
  'POST /accounts': 201,
  'GET /accounts': 200,
  'POST /transactions': 201,
  'POST /transactions/batch': 201,
  'GET /transactions': 200,
  'GET /alerts': 200,
  'PATCH /alerts/{id}': 200,
  'GET /audit-logs': 200,
  'GET /audit-logs/verify': 200,
};
