import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { withClient } from './test-database.js';

export const PASSWORD = 'Correct-Horse-7';
let passwordHash: Promise<string> | undefined;

/** One argon2id hash of PASSWORD with the production parameters, shared by every fixture user. */
export function fixturePasswordHash(): Promise<string> {
  passwordHash ??= argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  return passwordHash;
}

export interface SeededUser {
  id: number;
  email: string;
  role: string;
}

/** A user of `tenantId`, arranged directly as the owner (fixtures only). */
export async function seedUser(
  ownerUrl: string,
  tenantId: string,
  options: { role?: string; email?: string; isActive?: boolean; passwordHash?: string } = {},
): Promise<SeededUser> {
  const email = options.email ?? `${(options.role ?? 'analyst').toLowerCase()}-${randomBytes(4).toString('hex')}@example.com`;
  const hash = options.passwordHash ?? (await fixturePasswordHash());
  return withClient(ownerUrl, async (client) => {
    const { rows } = await client.query(
      `INSERT INTO tenant_users (tenant_id, email, password_hash, full_name, role, is_active) VALUES ($1, $2, $3, 'Fixture', $4, $5) RETURNING id, email, role`,
      [tenantId, email, hash, options.role ?? 'ANALYST', options.isActive ?? true],
    );
    return rows[0];
  });
}

export interface Session {
  access_token: string;
  refresh_token: string;
  user: { id: number; tenant_id: string; role: string; email: string };
}

export async function login(http: Server, email: string, password = PASSWORD, subdomain?: string): Promise<Session> {
  const res = await request(http).post('/api/v1/auth/login').send({ email, password, ...(subdomain ? { subdomain } : {}) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export function signupBody(overrides: Record<string, unknown> = {}) {
  const suffix = randomBytes(4).toString('hex');
  return {
    organization_name: `Test Corp ${suffix}`,
    subdomain: `testcorp-${suffix}`,
    admin_full_name: 'John Doe',
    admin_email: `john-${suffix}@testcorp.example`,
    admin_password: 'SecurePass123!',
    ...overrides,
  };
}
