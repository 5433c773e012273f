import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { generateApiKey } from '../../src/api-keys/api-key.token.js';

export interface SeededTenant {
  tenantId: string;
  subdomain: string;
  apiKey: string;
  apiKeyId: number;
}

/**
 * Arranges a tenant with one API key directly as the owner (fixtures only: the API's own signup
 * path is tested through HTTP). `scopes` defaults to every scope.
 */
export async function seedTenant(
  ownerUrl: string,
  options: { status?: string; scopes?: string[]; plan?: string; trialEndsAt?: Date } = {},
): Promise<SeededTenant> {
  const suffix = randomBytes(5).toString('hex');
  const tenantId = `tenant_${suffix}`;
  const subdomain = `t-${suffix}`;
  const issued = generateApiKey();
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_email, status, plan, trial_ends_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [tenantId, `Org ${suffix}`, subdomain, `admin@${suffix}.example`, options.status ?? 'ACTIVE', options.plan ?? 'STARTER',
        options.trialEndsAt ?? new Date(Date.now() + 14 * 86400_000)],
    );
    const { rows } = await client.query(
      `INSERT INTO tenant_api_keys (tenant_id, key_name, key_hash, key_prefix, scopes)
       VALUES ($1, 'fixture', $2, $3, $4) RETURNING id`,
      [tenantId, issued.hash, issued.prefix, options.scopes ?? ['read:transactions', 'write:transactions', 'read:alerts', 'write:alerts', 'read:accounts', 'write:accounts']],
    );
    return { tenantId, subdomain, apiKey: issued.key, apiKeyId: rows[0].id };
  } finally {
    await client.end();
  }
}

/** One account, one transaction and one alert for the tenant, written as the owner. */
export async function seedDomainRows(ownerUrl: string, tenantId: string): Promise<{ accountId: string; transactionId: string; alertId: string }> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const ref = randomBytes(4).toString('hex');
    const account = await client.query(`INSERT INTO accounts (tenant_id, external_ref, holder_name, country) VALUES ($1, $2, 'Holder', 'DE') RETURNING id`, [tenantId, `acc-${ref}`]);
    const accountId = account.rows[0].id;
    const txn = await client.query(
      `INSERT INTO transactions (tenant_id, account_id, amount, currency, merchant) VALUES ($1, $2, 100, 'EUR', 'Shop') RETURNING id`,
      [tenantId, accountId],
    );
    const transactionId = txn.rows[0].id;
    const alert = await client.query(
      `INSERT INTO fraud_alerts (tenant_id, transaction_id, severity, risk_score) VALUES ($1, $2, 'HIGH', 0.9) RETURNING id`,
      [tenantId, transactionId],
    );
    await client.query(`INSERT INTO system_logs (tenant_id, message) VALUES ($1, 'fixture')`, [tenantId]);
    return { accountId, transactionId, alertId: alert.rows[0].id };
  } finally {
    await client.end();
  }
}
