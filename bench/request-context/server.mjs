/**
 * One variant of the request-context benchmark: a minimal NestJS + Fastify app whose one route,
 * `GET /items` (tenant in the `x-tenant` header), runs a tenant-scoped SELECT on the request's
 * transaction through controller → service → repository. The variants differ only in how the
 * repository reaches that transaction (variants.mjs); the transaction is FraudGuard's own
 * (`runInTransaction` / `TenantTransactionAdapter` from the build) except in `cls-typeorm-stock`.
 *
 * Started by run.mjs with an IPC channel: it answers `{ type: 'stats' }` with its CPU time
 * (process.cpuUsage), the requests it has received and the queries its pg clients have sent (each
 * `Client.query` is one round trip: pg does not pipeline).
 *
 * Plain ESM, no build step of its own: Nest's decorators are applied as functions (common.mjs).
 */
import 'reflect-metadata';
import { Controller, Get, Global, Injectable, Logger, Module, Req, Scope, UseInterceptors } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory, REQUEST } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { from, lastValueFrom } from 'rxjs';
import { databaseConfig } from '../../dist/src/config/database.config.js';
import { runInTransaction } from '../../dist/src/database/tenant-transaction.adapter.js';
import { decorate, decorateMethod, inject, PREAMBLE, SQL, tenantOf } from './common.mjs';
import { VARIANTS } from './variants.mjs';

const variant = process.env.RC_VARIANT;
if (!(variant in VARIANTS)) throw new Error(`RC_VARIANT must be one of ${Object.keys(VARIANTS).join(', ')}`);

// Round trips: every query a pg client sends, counted before TypeORM loads the driver.
let queries = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  queries++;
  return query.apply(this, args);
};

// --- Transaction opened by the interceptor, manager on the request (floor, request-scope) ---------

class ManagerOnRequestInterceptor {
  constructor(dataSource) {
    this.dataSource = dataSource;
    this.logger = new Logger('bench');
  }
  intercept(context, next) {
    const request = context.switchToHttp().getRequest();
    const options = { tenantId: tenantOf(request), readOnly: true, preamble: PREAMBLE, preparedStatements: false };
    return from(
      runInTransaction(
        this.dataSource,
        options,
        (manager) => {
          request.manager = manager;
          return lastValueFrom(next.handle(), { defaultValue: undefined });
        },
        this.logger,
      ),
    );
  }
}
decorate(ManagerOnRequestInterceptor, Injectable());
inject(ManagerOnRequestInterceptor, getDataSourceToken());

// --- Repositories, services, controllers ------------------------------------------------------------

/** floor: everything a singleton, the manager an argument. */
class ExplicitRepository {
  list(manager) {
    return manager.query(SQL);
  }
}
class ExplicitService {
  constructor(repository) {
    this.repository = repository;
  }
  list(manager) {
    return this.repository.list(manager);
  }
}
class ExplicitController {
  constructor(service) {
    this.service = service;
  }
  list(request) {
    return this.service.list(request.manager);
  }
}
decorate(ExplicitRepository, Injectable());
decorate(ExplicitService, Injectable());
inject(ExplicitService, ExplicitRepository);

/** request-scope: the repository is built per request with the request; Nest builds its dependants per request too. */
class RequestScopedRepository {
  constructor(request) {
    this.request = request;
  }
  list() {
    return this.request.manager.query(SQL);
  }
}
decorate(RequestScopedRepository, Injectable({ scope: Scope.REQUEST }));
inject(RequestScopedRepository, REQUEST);

/** Service and controller over a repository that finds the transaction itself. */
function implicitChain(Repository) {
  class Service {
    constructor(repository) {
      this.repository = repository;
    }
    list() {
      return this.repository.list();
    }
  }
  class ItemsController {
    constructor(service) {
      this.service = service;
    }
    list() {
      return this.service.list();
    }
  }
  decorate(Service, Injectable());
  inject(Service, Repository);
  inject(ItemsController, Service);
  return { Repository, Service, Controller: ItemsController };
}

function explicitChain() {
  inject(ExplicitController, ExplicitService);
  Req()(ExplicitController.prototype, 'list', 0);
  return { Repository: ExplicitRepository, Service: ExplicitService, Controller: ExplicitController };
}

// --- The module of each variant -------------------------------------------------------------------

const poolSize = Number(process.env.RC_POOL_SIZE || 10);

/** FraudGuard's adapter reads DB_PREPARED_STATEMENTS from the database config: off, as PREAMBLE says. */
class BenchConfigModule {}
decorate(BenchConfigModule, Global(), Module({ providers: [{ provide: databaseConfig.KEY, useValue: { dbPreparedStatements: false } }], exports: [databaseConfig.KEY] }));

async function variantParts() {
  if (variant === 'floor') return { chain: explicitChain(), interceptor: ManagerOnRequestInterceptor, imports: [] };
  if (variant === 'request-scope') return { chain: implicitChain(RequestScopedRepository), interceptor: ManagerOnRequestInterceptor, imports: [] };
  cls = await import('./cls.mjs');
  switch (variant) {
    case 'cls':
      return { chain: implicitChain(cls.CurrentTransactionRepository), interceptor: cls.ClsTransactionInterceptor, imports: [cls.clsModule(false)] };
    case 'cls-middleware':
      return { chain: implicitChain(cls.CurrentTransactionRepository), interceptor: cls.ClsTransactionInterceptor, imports: [cls.clsModule(false, { middleware: { mount: true } })] };
    case 'cls-guard':
      return { chain: implicitChain(cls.CurrentTransactionRepository), interceptor: cls.ClsTransactionInterceptor, imports: [cls.clsModule(false, { guard: { mount: true } })] };
    case 'cls-interceptor':
      return { chain: implicitChain(cls.CurrentTransactionRepository), interceptor: cls.ClsTransactionInterceptor, imports: [cls.clsModule(false, { interceptor: { mount: true } })] };
    case 'cls-typeorm-stock':
      return { chain: implicitChain(cls.TxHostRepository), interceptor: cls.StockClsTransactionInterceptor, imports: [cls.clsModule(true)] };
  }
}

/** The nestjs-cls variants' module (cls.mjs), loaded by those variants only. */
let cls;
const { chain, interceptor, imports } = await variantParts();
// A mounted ClsInterceptor must run before the transaction's interceptor (its context would hide the
// transaction's otherwise): global interceptors run before a controller's, so that one is bound to
// the controller in this variant. Nest does the same per-request work either way.
const interceptorOnController = variant === 'cls-interceptor';
decorate(chain.Controller, Controller(), ...(interceptorOnController ? [UseInterceptors(interceptor)] : []));
decorateMethod(chain.Controller, 'list', Get('items'));
const needsCurrentTransaction = chain.Repository === cls?.CurrentTransactionRepository;

class AppModule {}
decorate(
  AppModule,
  Module({
    imports: [
      BenchConfigModule,
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: process.env.RC_DATABASE_URL,
        installExtensions: false,
        synchronize: false,
        logging: false,
        // Idle connections close after a second: the variants wait in turn on one shared server
        // (max_connections), and each measurement starts after a short load that refills the pool.
        extra: { max: poolSize, idleTimeoutMillis: 1000, application_name: process.env.RC_APPLICATION_NAME },
      }),
      ...imports,
    ],
    controllers: [chain.Controller],
    providers: [chain.Repository, chain.Service, ...(needsCurrentTransaction ? [cls.CurrentTransaction] : []), ...(interceptorOnController ? [] : [{ provide: APP_INTERCEPTOR, useClass: interceptor }])],
  }),
);

/** Errors and warnings, each distinct message once: a failing variant would otherwise flood the run's output. */
const logged = new Set();
const once =
  (print) =>
  (message, ...rest) => {
    const text = String(message instanceof Error ? message.message : message);
    if (logged.has(text)) return;
    logged.add(text);
    print(`[${variant}] ${text}`, ...rest.filter((r) => typeof r !== 'string'));
  };
const logger = { log() {}, debug() {}, verbose() {}, warn: once(console.warn), error: once(console.error), fatal: once(console.error) };

const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger });
// Requests counted as they arrive: one that the load generator abandons at the end of its run
// still does its work (and its queries), which the counters must then cover.
let requests = 0;
app
  .getHttpAdapter()
  .getInstance()
  .addHook('onRequest', (request, reply, done) => {
    requests++;
    done();
  });
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address();

// The runner gone (stopped, crashed): so is this server.
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send({ type: 'stats', id: message.id, cpuMicros: cpu.user + cpu.system, requests, queries, contextBeforeInterceptor: cls?.contextBeforeInterceptor });
  } else if (message.type === 'stop') {
    app.close().then(() => process.exit(0));
  }
});
process.send({ type: 'ready', port, node: process.version });
