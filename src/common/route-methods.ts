import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The methods each registered path answers, for the 405 of a known path with another method. */
    routeMethods?: RouteMethods;
  }
}

/** `/users/:id` → a RegExp on the request path (`:param` is one segment, `*` the rest). */
function pathPattern(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** Every route Fastify registers, kept as path patterns with their methods. */
export class RouteMethods {
  private readonly routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(url: string, methods: string | string[]): void {
    let route = this.routes.get(url);
    if (!route) this.routes.set(url, (route = { pattern: pathPattern(url), methods: new Set() }));
    for (const method of [methods].flat()) route.methods.add(method.toUpperCase());
    if (route.methods.has('GET')) route.methods.add('HEAD');
  }

  /** The methods some route answers on `path` (no query string), sorted; empty when none does. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.routes.values()) if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
    return [...methods].sort();
  }

  /** Records the routes registered on `fastify` from now on (call before the routes are registered). */
  static track(fastify: FastifyInstance): RouteMethods {
    const registry = new RouteMethods();
    fastify.decorate('routeMethods', registry);
    fastify.addHook('onRoute', (route) => registry.add(route.url, route.method));
    return registry;
  }
}
