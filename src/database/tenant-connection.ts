import { Inject } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { RequestBound } from './request-scope.js';
import type { QueryOptions, TenantTransaction } from './tenant-transaction.js';

/**
 * What repositories inject: the current request's transaction, put there by the
 * TenantContextInterceptor. Request-bound (built per request by its RequestScope), so a repository
 * can never hold another request's runner.
 */
@RequestBound()
export class TenantConnection {
  constructor(@Inject(REQUEST) private readonly request: FastifyRequest) {}

  get tx(): TenantTransaction {
    const tx = this.request.tenantTx;
    if (!tx) throw new Error('No transaction on this request: is the route marked @NoTransaction()?');
    return tx;
  }

  /** The tenant the transaction runs under; repositories still put it in every WHERE. */
  get tenantId(): string {
    const tenantId = this.tx.tenantId;
    if (!tenantId) throw new Error('No tenant on this request');
    return tenantId;
  }

  query<T = Record<string, any>>(text: string, values?: unknown[], options?: QueryOptions): Promise<T[]> {
    return this.tx.query<T>(text, values, options);
  }

  execute(text: string, values?: unknown[]): Promise<number> {
    return this.tx.execute(text, values);
  }
}
