import 'reflect-metadata';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ACCESS_RULE } from '../../src/common/authenticated.decorator.js';
import { AccountController } from '../../src/transactions/account.controller.js';
import { AlertController } from '../../src/transactions/alert.controller.js';
import { TransactionController } from '../../src/transactions/transaction.controller.js';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ALL', 'OPTIONS', 'HEAD'];

/** Every account, transaction and alert route with what it requires: a diff here is a permission change. */
describe('access rules of accounts, transactions and alerts', () => {
  it('matches the documented table (docs/transactions.md)', () => {
    const routes: Record<string, unknown> = {};
    for (const controller of [AccountController, TransactionController, AlertController]) {
      const base = Reflect.getMetadata(PATH_METADATA, controller);
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as unknown as Record<string, object>)[name];
        if (name === 'constructor' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler);
        const method = METHODS[Reflect.getMetadata(METHOD_METADATA, handler)];
        routes[`${method} /${base}${path === '/' ? '' : `/${path}`}`] = Reflect.getMetadata(ACCESS_RULE, handler);
      }
    }
    expect(routes).toEqual({
      'POST /accounts': { role: 'MANAGER', scopes: ['write:accounts'] },
      'GET /accounts': { role: 'VIEWER', scopes: ['read:accounts'] },
      'GET /accounts/:id': { role: 'VIEWER', scopes: ['read:accounts'] },
      'POST /transactions': { role: 'MANAGER', scopes: ['write:transactions'] },
      'POST /transactions/batch': { role: 'MANAGER', scopes: ['write:transactions'] },
      'GET /transactions': { role: 'VIEWER', scopes: ['read:transactions'] },
      'GET /transactions/:id': { role: 'VIEWER', scopes: ['read:transactions'] },
      'GET /alerts': { role: 'VIEWER', scopes: ['read:alerts'] },
      'GET /alerts/:id': { role: 'VIEWER', scopes: ['read:alerts'] },
      'PATCH /alerts/:id': { role: 'ANALYST', scopes: ['write:alerts'] },
    });
  });
});
