import { DiscoveryModule } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { ROLES, SCOPES } from '../../src/common/auth-context.js';
import { discoverRoutes } from '../support/routes.js';
import { login, seedUser } from '../support/accounts.js';
import { seedTenant, SeededTenant } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

type Principal = (typeof ROLES)[number] | 'API key';
const PRINCIPALS: Principal[] = ['ADMIN', 'MANAGER', 'ANALYST', 'VIEWER', 'API key'];

interface Row {
  route: string;
  cells: Record<Principal, string>;
}

/** The table of README.md, keyed by "METHOD /path". */
function readMatrix(): Map<string, Row> {
  const text = readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
  const rows = new Map<string, Row>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells.length !== 6 || !/^(GET|POST|PUT|PATCH|DELETE) \//.test(cells[0])) continue;
    if (rows.has(cells[0])) throw new Error(`README.md lists ${cells[0]} twice`);
    rows.set(cells[0], { route: cells[0], cells: Object.fromEntries(PRINCIPALS.map((p, i) => [p, cells[i + 1]])) as Record<Principal, string> });
  }
  return rows;
}

describe('permission matrix (README.md) — every route × every role and an API key', () => {
  let t: TestApp;
  let tenant: SeededTenant;
  const credentials = new Map<Principal, [string, string]>();

  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_SECRET: 'matrix-suite-secret-long-enough-0123456789' }, modules: [DiscoveryModule] });
    tenant = await seedTenant(t.db.ownerUrl, { scopes: [...SCOPES] });
    for (const role of ROLES) {
      const user = await seedUser(t.db.ownerUrl, tenant.tenantId, { role });
      credentials.set(role, ['Authorization', `Bearer ${(await login(t.http, user.email)).access_token}`]);
    }
    credentials.set('API key', ['X-API-Key', tenant.apiKey]);
  });
  afterAll(() => t.close());

  it('has exactly one row per route of the running application', () => {
    const matrix = readMatrix();
    const served = discoverRoutes(t).map((r) => r.route);
    expect(served.length).toBeGreaterThan(10);
    expect({ routesWithoutARow: served.filter((r) => !matrix.has(r)) }).toEqual({ routesWithoutARow: [] });
    expect({ rowsWithoutARoute: [...matrix.keys()].filter((r) => !served.includes(r)) }).toEqual({ rowsWithoutARoute: [] });
  });

  it('is what the route decorators declare (public ⇔ @Public, every other route decorated)', () => {
    const matrix = readMatrix();
    for (const route of discoverRoutes(t)) {
      const row = matrix.get(route.route)!;
      expect({ route: route.route, decorated: route.rule !== undefined }).toEqual({ route: route.route, decorated: true });
      const isPublic = PRINCIPALS.every((p) => row.cells[p] === 'public');
      expect({ route: route.route, public: !!route.rule?.public }).toEqual({ route: route.route, public: isPublic });
      const isOperator = PRINCIPALS.every((p) => row.cells[p] === 'operator');
      expect({ route: route.route, operator: !!route.rule?.operator }).toEqual({ route: route.route, operator: isOperator });
    }
  });

  it('is what the guards answer, for every route and every principal', async () => {
    const matrix = readMatrix();
    const mismatches: string[] = [];
    for (const route of discoverRoutes(t)) {
      const row = matrix.get(route.route)!;
      const url = route.url.replace(/:id\b/g, '999999');
      const call = (header?: [string, string]) => {
        let req = request(t.http)[route.method.toLowerCase() as 'get'](url);
        if (header) req = req.set(header[0], header[1]);
        return ['POST', 'PUT', 'PATCH'].includes(route.method) ? req.send({}) : req;
      };
      if (row.cells.ADMIN === 'operator') {
        // No tenant credential, and no credential at all, opens an operator route.
        for (const header of [...PRINCIPALS.map((p) => credentials.get(p)), undefined, ['Host', `${tenant.subdomain}.fraudguard.example`] as [string, string]]) {
          const res = await call(header);
          if (![401, 403, 404].includes(res.status)) mismatches.push(`${route.route} as ${header?.[0] ?? 'anonymous'}: operator route answered ${res.status}`);
        }
        continue;
      }
      for (const principal of PRINCIPALS) {
        const cell = row.cells[principal];
        const res = await call(credentials.get(principal));
        const allowed = cell === 'public' || cell === '✓' || cell.startsWith('scopes:');
        const ok = allowed ? res.status !== 401 && res.status !== 403 : res.status === 403;
        if (!ok) mismatches.push(`${route.route} as ${principal}: matrix "${cell}", got ${res.status} ${res.body?.type ?? ''}`);
      }
      const anonymous = await call();
      const isPublic = row.cells.ADMIN === 'public';
      if (isPublic ? [401, 403].includes(anonymous.status) : anonymous.status !== 401) {
        mismatches.push(`${route.route} anonymous: got ${anonymous.status}`);
      }
      if (!isPublic) {
        const bySubdomain = await call(['Host', `${tenant.subdomain}.fraudguard.example`]);
        if (bySubdomain.status !== 401 || !/authentication-required$/.test(bySubdomain.body.type)) {
          mismatches.push(`${route.route} with only a tenant subdomain: got ${bySubdomain.status}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses a key without the scopes named in the matrix', async () => {
    const bare = await seedTenant(t.db.ownerUrl, { scopes: [] });
    const mismatches: string[] = [];
    for (const route of discoverRoutes(t)) {
      const cell = readMatrix().get(route.route)!.cells['API key'];
      if (!cell.startsWith('scopes:')) continue;
      const res = await request(t.http)[route.method.toLowerCase() as 'get'](route.url.replace(/:id\b/g, '999999')).set('X-API-Key', bare.apiKey);
      if (res.status !== 403) mismatches.push(`${route.route}: got ${res.status}`);
    }
    expect(mismatches).toEqual([]);
  });
});
