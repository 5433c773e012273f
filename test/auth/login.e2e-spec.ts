import argon2 from 'argon2';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { login, PASSWORD, seedUser, SeededUser } from '../support/accounts.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { withClient } from '../support/test-database.js';
import { PasswordHasher } from '../../src/auth/password.hasher.js';

const SECRET = 'test-secret-that-is-long-enough-0123456789';
const host = (subdomain: string) => `${subdomain}.fraudguard.example`;

describe('login and access tokens', () => {
  let t: TestApp;
  let a: SeededTenant;
  let b: SeededTenant;
  let admin: SeededUser;
  let viewer: SeededUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_SECRET: SECRET } });
    a = await seedTenant(t.db.ownerUrl);
    b = await seedTenant(t.db.ownerUrl);
    admin = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'ADMIN' });
    viewer = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'VIEWER' });
  });
  afterAll(() => t.close());

  it('logs in with e-mail and password: HS256 JWT (≤ 15 min, iss/aud/exp, sub/tenant_id/role), refresh token, user; last_login set', async () => {
    const res = await request(t.http).post('/api/v1/auth/login').send({ email: admin.email.toUpperCase(), password: PASSWORD }).expect(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { id: admin.id, tenant_id: a.tenantId, role: 'ADMIN' } });
    expect(res.body.refresh_token).toMatch(/^fgr_/);
    const decoded = jwt.decode(res.body.access_token, { complete: true }) as jwt.Jwt & { payload: jwt.JwtPayload };
    expect(decoded.header.alg).toBe('HS256');
    expect(decoded.payload).toMatchObject({ sub: String(admin.id), tenant_id: a.tenantId, role: 'ADMIN', iss: 'fraudguard', aud: 'fraudguard-api' });
    expect(decoded.payload.exp! - decoded.payload.iat!).toBeLessThanOrEqual(900);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT last_login FROM tenant_users WHERE tenant_id = $1 AND id = $2`, [a.tenantId, admin.id]);
      expect(Date.now() - new Date(rows[0].last_login).getTime()).toBeLessThan(10_000);
    });
    const me = await request(t.http).get('/api/v1/users/me').set('Authorization', `Bearer ${res.body.access_token}`).expect(200);
    expect(me.body).toMatchObject({ id: admin.id, email: admin.email, role: 'ADMIN' });
    expect(me.body).not.toHaveProperty('password_hash');
  });

  it('answers a wrong password and an unknown e-mail identically (status, body, and both pay one argon2 verification)', async () => {
    const time = async (email: string) => {
      const start = process.hrtime.bigint();
      const res = await request(t.http).post('/api/v1/auth/login').send({ email, password: 'Wrong-Password-1' });
      return { res, ms: Number(process.hrtime.bigint() - start) / 1e6 };
    };
    const wrong = await time(viewer.email);
    const unknown = await time('nobody-at-all@example.com');
    expect(wrong.res.status).toBe(401);
    expect(unknown.res.status).toBe(401);
    const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
    expect(strip(unknown.res.body)).toEqual(strip(wrong.res.body));
    expect(unknown.res.headers['www-authenticate']).toBe(wrong.res.headers['www-authenticate']);
    // Both did an argon2 verification (~tens of ms): neither is answered from a cheap early return.
    const samples = { wrong: [] as number[], unknown: [] as number[] };
    // Interleaved pairs, medians of 7: other suites share the CPU, so single samples are noisy.
    const users = await Promise.all(Array.from({ length: 7 }, () => seedUser(t.db.ownerUrl, b.tenantId)));
    for (let i = 0; i < 7; i++) {
      samples.unknown.push((await time(`nobody-${i}@example.com`)).ms);
      samples.wrong.push((await time(users[i].email)).ms);
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[3];
    expect(median(samples.unknown)).toBeGreaterThan(median(samples.wrong) * 0.4);
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenant_users SET failed_login_count = 0 WHERE tenant_id = $1`, [a.tenantId]));
  });

  it('refuses malformed login bodies with 400, not 500', async () => {
    await request(t.http).post('/api/v1/auth/login').send({ email: 'x', password: 'y' }).expect(400);
    await request(t.http).post('/api/v1/auth/login').send({ email: admin.email }).expect(400);
    await request(t.http).post('/api/v1/auth/login').send({ email: admin.email, password: 'x'.repeat(10_000) }).expect(400);
  });

  it('rehashes a password stored with other argon2 parameters at the next login', async () => {
    const weak = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 3, parallelism: 1 });
    const user = await seedUser(t.db.ownerUrl, a.tenantId, { passwordHash: weak });
    await login(t.http, user.email);
    await withClient(t.db.ownerUrl, async (client) => {
      const { rows } = await client.query(`SELECT password_hash FROM tenant_users WHERE tenant_id = $1 AND id = $2`, [a.tenantId, user.id]);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    });
    await login(t.http, user.email); // and the new hash verifies
  });

  describe('refuses forged, expired or foreign tokens with 401', () => {
    const claims = () => ({ sub: String(admin.id), tenant_id: a.tenantId, role: 'ADMIN' });
    const options = { issuer: 'fraudguard', audience: 'fraudguard-api', expiresIn: 600 } as const;
    const attempt = (token: string) => request(t.http).get('/api/v1/tenants/me').set('Authorization', `Bearer ${token}`);

    it('accepts a correctly signed token (control)', async () => {
      await attempt(jwt.sign(claims(), SECRET, { ...options, algorithm: 'HS256' })).expect(200);
    });

    it.each([
      ['alg none', () => {
        const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...claims(), iss: 'fraudguard', aud: 'fraudguard-api', iat: now, exp: now + 600 })}.`;
      }],
      ['a wrong secret', () => jwt.sign(claims(), 'another-secret-that-is-long-enough-987654', { ...options, algorithm: 'HS256' })],
      ['HS512 with the right secret (algorithm pinned)', () => jwt.sign(claims(), SECRET, { ...options, algorithm: 'HS512' })],
      ['an expired token', () => jwt.sign({ ...claims(), exp: Math.floor(Date.now() / 1000) - 10 }, SECRET, { issuer: 'fraudguard', audience: 'fraudguard-api', algorithm: 'HS256' })],
      ['a wrong audience', () => jwt.sign(claims(), SECRET, { ...options, audience: 'someone-else', algorithm: 'HS256' })],
      ['a wrong issuer', () => jwt.sign(claims(), SECRET, { ...options, issuer: 'evil', algorithm: 'HS256' })],
      ['no exp at all', () => jwt.sign(claims(), SECRET, { issuer: 'fraudguard', audience: 'fraudguard-api', algorithm: 'HS256' })],
      ['a tampered payload', () => {
        const [header, , signature] = jwt.sign(claims(), SECRET, { ...options, algorithm: 'HS256' }).split('.');
        return `${header}.${Buffer.from(JSON.stringify({ ...claims(), tenant_id: b.tenantId })).toString('base64url')}.${signature}`;
      }],
      ['garbage', () => 'not.a.jwt'],
      ['an empty bearer', () => ''],
      ['a user that does not exist', () => jwt.sign({ ...claims(), sub: '999999' }, SECRET, { ...options, algorithm: 'HS256' })],
    ])('%s', async (_name, make) => {
      const res = await attempt(make()).expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  it("refuses a token on another tenant's subdomain, and an API key and a token of different tenants (403)", async () => {
    const session = await login(t.http, admin.email);
    const bearer = `Bearer ${session.access_token}`;
    await request(t.http).get('/api/v1/tenants/me').set('Host', host(a.subdomain)).set('Authorization', bearer).expect(200);
    const foreign = await request(t.http).get('/api/v1/tenants/me').set('Host', host(b.subdomain)).set('Authorization', bearer).expect(403);
    expect(foreign.body.type).toMatch(/\/tenant-mismatch$/);
    await request(t.http).get('/api/v1/tenants/me').set('Host', host('no-such-tenant')).set('Authorization', bearer).expect(403);
    const mixed = await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', b.apiKey).set('Authorization', bearer).expect(403);
    expect(mixed.body.type).toMatch(/\/tenant-mismatch$/);
    await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', a.apiKey).set('Authorization', bearer).expect(200);
    // Reserved and foreign hosts name no tenant and are ignored.
    await request(t.http).get('/api/v1/tenants/me').set('Host', host('www')).set('Authorization', bearer).expect(200);
    await request(t.http).get('/api/v1/tenants/me').set('Host', 'localhost:3000').set('Authorization', bearer).expect(200);
  });

  it('identifies the tenant by subdomain alone but grants no access (401); no tenant at all is 401 "No tenant identified"', async () => {
    const bySubdomain = await request(t.http).get('/api/v1/tenants/me').set('Host', host(a.subdomain)).expect(401);
    expect(bySubdomain.body.type).toMatch(/\/authentication-required$/);
    for (const hostName of [host('www'), host('api'), host('admin'), host('unknown-tenant'), 'localhost']) {
      const res = await request(t.http).get('/api/v1/tenants/me').set('Host', hostName).expect(401);
      expect(res.body.detail).toMatch(/^No tenant identified: send an API key/);
    }
  });

  it('uses the Host subdomain as the tenant hint for login; a body subdomain that contradicts it is 403', async () => {
    await request(t.http).post('/api/v1/auth/login').set('Host', host(a.subdomain)).send({ email: admin.email, password: PASSWORD }).expect(200);
    await request(t.http).post('/api/v1/auth/login').set('Host', host(b.subdomain)).send({ email: admin.email, password: PASSWORD }).expect(401);
    await request(t.http).post('/api/v1/auth/login').set('Host', host(a.subdomain)).send({ email: admin.email, password: PASSWORD, subdomain: b.subdomain }).expect(403);
  });

  it('checks the first account of a shared e-mail without a subdomain, and asks for the organization when its password does not fit', async () => {
    const email = `shared-${Date.now()}@example.com`;
    const inA = await seedUser(t.db.ownerUrl, a.tenantId, { email });
    const inB = await seedUser(t.db.ownerUrl, b.tenantId, { email });
    expect((await login(t.http, email, PASSWORD)).user.id).toBe(inA.id);
    expect((await login(t.http, email, PASSWORD, a.subdomain)).user.id).toBe(inA.id);
    expect((await login(t.http, email, PASSWORD, b.subdomain)).user.id).toBe(inB.id);
    // B's own password, without a subdomain: the answer asks for the organization and names none.
    const other = 'Other-Password-9';
    await withClient(t.db.ownerUrl, async (client) =>
      client.query(`UPDATE tenant_users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3`, [
        await argon2.hash(other, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 }), b.tenantId, inB.id]),
    );
    const ambiguous = await request(t.http).post('/api/v1/auth/login').send({ email, password: other }).expect(400);
    expect(ambiguous.body.type).toMatch(/\/tenant-required$/);
    expect(ambiguous.text).not.toContain(a.subdomain);
    expect(ambiguous.text).not.toContain(b.subdomain);
    expect((await login(t.http, email, other, b.subdomain)).user.tenant_id).toBe(b.tenantId);
  });

  it("refuses a deactivated user's still-valid token at its next request, and uses a demoted user's new role at once", async () => {
    const user = await seedUser(t.db.ownerUrl, a.tenantId, { role: 'ADMIN' });
    const session = await login(t.http, user.email);
    const bearer = `Bearer ${session.access_token}`;
    await request(t.http).put('/api/v1/tenants/me').set('Authorization', bearer).send({}).expect(200);
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenant_users SET role = 'VIEWER' WHERE tenant_id = $1 AND id = $2`, [a.tenantId, user.id]));
    await waitUntil(async () => (await request(t.http).put('/api/v1/tenants/me').set('Authorization', bearer).send({})).status === 403);
    await request(t.http).get('/api/v1/tenants/me').set('Authorization', bearer).expect(200);
    await withClient(t.db.ownerUrl, (client) => client.query(`UPDATE tenant_users SET is_active = false WHERE tenant_id = $1 AND id = $2`, [a.tenantId, user.id]));
    await waitUntil(async () => (await request(t.http).get('/api/v1/tenants/me').set('Authorization', bearer)).status === 401);
    await request(t.http).post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
  });

  it.each([
    ['SUSPENDED', 'tenant-suspended', {}],
    ['CANCELLED', 'tenant-cancelled', {}],
    ['TRIAL', 'trial-expired', { trialEndsAt: new Date(Date.now() - 1000) }],
  ])('refuses every credential of a %s tenant at once (403 %s)', async (status, slug, extra) => {
    const tenant = await seedTenant(t.db.ownerUrl);
    const user = await seedUser(t.db.ownerUrl, tenant.tenantId, { role: 'ADMIN' });
    const session = await login(t.http, user.email);
    await request(t.http).get('/api/v1/tenants/me').set('Authorization', `Bearer ${session.access_token}`).expect(200);
    await request(t.http).get('/api/v1/tenants/me').set('X-API-Key', tenant.apiKey).expect(200);
    const trialEndsAt = (extra as { trialEndsAt?: Date }).trialEndsAt ?? null;
    await withClient(t.db.ownerUrl, (client) =>
      client.query(`UPDATE tenants SET status = $2, trial_ends_at = COALESCE($3, trial_ends_at) WHERE tenant_id = $1`, [tenant.tenantId, status, trialEndsAt]));
    for (const set of [
      (r: request.Test) => r.set('Authorization', `Bearer ${session.access_token}`),
      (r: request.Test) => r.set('X-API-Key', tenant.apiKey),
    ]) {
      const res = await set(request(t.http).get('/api/v1/tenants/me')).expect(403);
      expect(res.body.type).toMatch(new RegExp(`/${slug}$`));
    }
    const byHost = await request(t.http).get('/api/v1/tenants/me').set('Host', host(tenant.subdomain)).expect(403);
    expect(byHost.body.type).toMatch(new RegExp(`/${slug}$`));
    const relogin = await request(t.http).post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(403);
    expect(relogin.body.type).toMatch(new RegExp(`/${slug}$`));
    const refresh = await request(t.http).post('/api/v1/auth/refresh').send({ refresh_token: session.refresh_token }).expect(403);
    expect(refresh.body.type).toMatch(new RegExp(`/${slug}$`));
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  // NOTIFY is asynchronous: the cache drop arrives a few ms after the commit.
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the argon2 cost of a login, and accounts an attacker tries to shadow', () => {
  let t: TestApp;
  let hasher: PasswordHasher;
  beforeAll(async () => {
    t = await startTestApp();
    hasher = t.app.get(PasswordHasher);
  });
  afterAll(() => t.close());

  /** The answer to one login and the argon2 verifications it cost. */
  async function attempt(body: Record<string, string>): Promise<{ status: number; text: string; verifications: number }> {
    const before = hasher.verifications;
    const res = await request(t.http).post('/api/v1/auth/login').send(body);
    return { status: res.status, text: res.text, verifications: hasher.verifications - before };
  }

  it("still logs the owner in, with one verification per login, after ten organizations whose ids sort first copied the owner's e-mail", async () => {
    const victim = await seedTenant(t.db.ownerUrl);
    const email = `victim-${Date.now()}@example.com`;
    const owner = await seedUser(t.db.ownerUrl, victim.tenantId, { email, role: 'ADMIN' });
    const attackerHash = await argon2.hash('Attacker-Pass-1', { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const attackers: string[] = [];
    await withClient(t.db.ownerUrl, async (client) => {
      for (let i = 0; i < 10; i++) {
        const tenantId = `aaaa-${Date.now()}-${i}`; // sorts before every fixture tenant
        attackers.push(`shadow-${i}-${Date.now()}`);
        await client.query(`INSERT INTO tenants (tenant_id, organization_name, subdomain, admin_email, status) VALUES ($1, 'Shadow', $2, $3, 'ACTIVE')`,
          [tenantId, attackers[i], `attacker-${i}@example.com`]);
        await client.query(`INSERT INTO tenant_users (tenant_id, email, password_hash, role) VALUES ($1, $2, $3, 'ADMIN')`, [tenantId, email, attackerHash]);
      }
    });

    const ok = await attempt({ email, password: PASSWORD });
    expect(ok).toMatchObject({ status: 200, verifications: 1 });
    expect(JSON.parse(ok.text).user).toMatchObject({ id: owner.id, tenant_id: victim.tenantId });

    // A wrong password for the shared e-mail: one verification, an answer that names no organization.
    const wrong = await attempt({ email, password: 'Attacker-Pass-1' });
    expect(wrong).toMatchObject({ status: 400, verifications: 1 });
    for (const subdomain of [victim.subdomain, ...attackers]) expect(wrong.text).not.toContain(subdomain);
    expect(await attempt({ email, password: 'Attacker-Pass-1', subdomain: attackers[3] })).toMatchObject({ status: 200, verifications: 1 });
    expect(await attempt({ email: `nobody-${Date.now()}@example.com`, password: PASSWORD })).toMatchObject({ status: 401, verifications: 1 });
    expect(await attempt({ email, password: 'Wrong-Password-1', subdomain: victim.subdomain })).toMatchObject({ status: 401, verifications: 1 });
  });
});
