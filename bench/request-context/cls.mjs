/**
 * The nestjs-cls variants' parts, imported only by those variants: the floor's and the request
 * scope's processes never load nestjs-cls (nor its AsyncLocalStorage).
 */
import { ClsPluginTransactional, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { CLS_REQ, ClsModule, ClsService } from 'nestjs-cls';
import { from, lastValueFrom } from 'rxjs';
import { CurrentTransaction } from '../../dist/src/database/current-transaction.js';
import { TenantTransactionAdapter } from '../../dist/src/database/tenant-transaction.adapter.js';
import { decorate, inject, SET_TENANT, SQL, tenantOf } from './common.mjs';

export { CurrentTransaction };

/** Whether a CLS context was already active when the transaction's interceptor ran (first request). */
export let contextBeforeInterceptor;

/** As FraudGuard's TenantContextInterceptor: withTransaction with the tenant, the request kept in the context. */
export class ClsTransactionInterceptor {
  constructor(txHost, cls) {
    this.txHost = txHost;
    this.cls = cls;
  }
  intercept(context, next) {
    contextBeforeInterceptor ??= this.cls.isActive();
    const request = context.switchToHttp().getRequest();
    return from(
      this.txHost.withTransaction({ tenantId: tenantOf(request), readOnly: true }, () => {
        this.cls.set(CLS_REQ, request);
        return lastValueFrom(next.handle(), { defaultValue: undefined });
      }),
    );
  }
}
decorate(ClsTransactionInterceptor, Injectable());
inject(ClsTransactionInterceptor, TransactionHost, ClsService);

/** The stock adapter's transaction (TypeORM's `dataSource.transaction`), then the tenant as a statement of its own. */
export class StockClsTransactionInterceptor {
  constructor(txHost, cls) {
    this.txHost = txHost;
    this.cls = cls;
  }
  intercept(context, next) {
    contextBeforeInterceptor ??= this.cls.isActive();
    const request = context.switchToHttp().getRequest();
    return from(
      this.txHost.withTransaction(async () => {
        await this.txHost.tx.query(SET_TENANT, [tenantOf(request)]);
        this.cls.set(CLS_REQ, request);
        return lastValueFrom(next.handle(), { defaultValue: undefined });
      }),
    );
  }
}
decorate(StockClsTransactionInterceptor, Injectable());
inject(StockClsTransactionInterceptor, TransactionHost, ClsService);

/** A singleton repository on FraudGuard's CurrentTransaction (TransactionHost.tx), as the app's repositories. */
export class CurrentTransactionRepository {
  constructor(tx) {
    this.tx = tx;
  }
  list() {
    return this.tx.manager.query(SQL);
  }
}
decorate(CurrentTransactionRepository, Injectable());
inject(CurrentTransactionRepository, CurrentTransaction);

/** A singleton repository on TransactionHost.tx (the stock adapter's EntityManager). */
export class TxHostRepository {
  constructor(txHost) {
    this.txHost = txHost;
  }
  list() {
    return this.txHost.tx.query(SQL);
  }
}
decorate(TxHostRepository, Injectable());
inject(TxHostRepository, TransactionHost);

/** ClsModule with the transactional plugin: FraudGuard's adapter, or the stock TypeORM one; `mount` as ClsModule.forRoot takes it. */
export function clsModule(stock, mount = {}) {
  const adapter = stock ? new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }) : new TenantTransactionAdapter();
  return ClsModule.forRoot({ global: true, ...mount, plugins: [new ClsPluginTransactional({ adapter })] });
}
