import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor, SetMetadata } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, lastValueFrom, Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import type { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config/database.config.js';
import { APP_DATA_SOURCE } from './database.tokens.js';
import { RequestScope } from './request-scope.js';
import { TenantTransaction } from './tenant-transaction.js';

const NO_TRANSACTION = 'fraudguard:no-transaction';

function withTenantLogger(request: FastifyRequest, tenantId: string): void {
  const parent = request.log;
  let child: FastifyRequest['log'] | undefined;
  Object.defineProperty(request, 'log', {
    configurable: true,
    enumerable: true,
    get: () => (child ??= parent.child({ tenant_id: tenantId })),
    set: (value: FastifyRequest['log']) => {
      child = value;
    },
  });
}
/** For routes that touch no tenant data (health, metrics): no connection is taken for them. */
export const NoTransaction = () => SetMetadata(NO_TRANSACTION, true);

/**
 * The request's one transaction: a pooled connection, BEGIN (READ ONLY for GET) with the caller's
 * tenant set transaction-locally, the handler, then COMMIT before the response is sent — or
 * ROLLBACK on any error — and the connection released in `finally`, whatever happened, including
 * a client that went away mid-request.
 */
@Injectable()
export class TenantContextInterceptor implements NestInterceptor {
  private readonly logger = new Logger('TenantContext');
  private readonly singletons = new Map<unknown, unknown>();
  /** What request-bound classes get for a singleton dependency: this application's instance, looked up once. */
  private readonly singleton = (token: unknown): unknown => {
    if (!this.singletons.has(token)) this.singletons.set(token, this.moduleRef.get(token as string, { strict: false }));
    return this.singletons.get(token);
  };

  constructor(
    @Inject(APP_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.getAllAndOverride<boolean>(NO_TRANSACTION, [context.getHandler(), context.getClass()])) {
      return next.handle();
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return from(this.run(request, next));
  }

  private async run(request: FastifyRequest, next: CallHandler): Promise<unknown> {
    // From here on, the request's log lines say which tenant they concern. The child logger is made
    // on first use: most requests log nothing, and a pino child per request was ~2 % of one's CPU.
    if (request.auth) withTenantLogger(request, request.auth.tenantId);
    const readOnly = request.method === 'GET' || request.method === 'HEAD';
    const tx = await TenantTransaction.begin(this.dataSource, request.auth?.tenantId ?? null, readOnly, this.config.dbPreparedStatements);
    request.tenantTx = tx;
    request.requestScope = new RequestScope(request, this.singleton);
    let result: unknown;
    let failure: { error: unknown } | undefined;
    try {
      result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await tx.commit();
    } catch (error) {
      failure = { error };
      if (tx.commitsDespiteError) await tx.commit().catch(() => tx.rollback());
      else await tx.rollback();
    } finally {
      request.tenantTx = undefined;
      request.requestScope = undefined;
      await tx.release();
      await tx.runAfterEndTasks((error) => this.logger.error(`after-end task failed: ${error.message}`));
    }
    if (failure) {
      // A deliberately slowed error answer (failed logins) waits here, its connection already back in the pool.
      if (tx.answerDelayMs > 0) await sleep(tx.answerDelayMs);
      throw failure.error;
    }
    for (const task of tx.takeAfterCommitTasks()) {
      // Fire and forget: the response does not wait for mail, and a failure never undoes the commit.
      Promise.resolve()
        .then(task)
        .catch((error) => this.logger.error(`after-commit task failed: ${(error as Error).message}`));
    }
    return result;
  }
}
