import 'reflect-metadata';
import { Inject } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { RequestBound, RequestScope } from './request-scope.js';

class Clock {
  now() {
    return 42;
  }
}
const CONFIG = 'config-token';

@RequestBound()
class Connection {
  constructor(@Inject(REQUEST) readonly request: FastifyRequest) {}
}

@RequestBound()
class Repository {
  constructor(
    readonly db: Connection,
    readonly clock: Clock,
  ) {}
}

@RequestBound()
class Service {
  constructor(
    readonly repository: Repository,
    readonly db: Connection,
    @Inject(CONFIG) readonly config: { name: string },
  ) {}
}

class NotBound {}

describe('RequestScope', () => {
  const clock = new Clock();
  const config = { name: 'app' };
  const singletons = (token: unknown) => (token === Clock ? clock : token === CONFIG ? config : undefined);

  it("builds each request-bound class once per request, with the request's own instances", () => {
    const first = { id: 'r1' } as unknown as FastifyRequest;
    const second = { id: 'r2' } as unknown as FastifyRequest;
    const a = new RequestScope(first, singletons);
    const b = new RequestScope(second, singletons);
    const service = a.get(Service);
    expect(a.get(Service)).toBe(service);
    expect(service.db).toBe(service.repository.db);
    expect(service.db.request).toBe(first);
    expect(service.repository.clock).toBe(clock);
    expect(service.config).toBe(config);
    const other = b.get(Service);
    expect(other).not.toBe(service);
    expect(other.db.request).toBe(second);
  });

  it('refuses a class that is not request-bound', () => {
    expect(() => new RequestScope({} as FastifyRequest, singletons).get(NotBound)).toThrow('NotBound is not @RequestBound()');
  });

  it('refuses a dependency cycle instead of overflowing the stack', () => {
    @RequestBound()
    class Left {
      constructor(@Inject('right') readonly right: unknown) {}
    }
    @RequestBound()
    class Right {
      constructor(readonly left: Left) {}
    }
    // Point Left's parameter at Right after both exist (a cycle TypeScript's metadata cannot express directly).
    Reflect.defineMetadata('self:paramtypes', [{ index: 0, param: Right }], Left);
    expect(() => new RequestScope({} as FastifyRequest, singletons).get(Right)).toThrow('Circular request-bound dependency');
  });
});
