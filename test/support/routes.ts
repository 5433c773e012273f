import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ACCESS_RULE, AccessRule } from '../../src/common/authenticated.decorator.js';
import type { TestApp } from './test-app.js';

export interface DiscoveredRoute {
  route: string;
  method: string;
  url: string;
  rule: AccessRule | undefined;
}

/** Every HTTP route of the running application, from Nest's controllers, checked against fastify's router. */
export function discoverRoutes(t: TestApp): DiscoveredRoute[] {
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  const fastify = t.app.getHttpAdapter().getInstance();
  const routes: DiscoveredRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const handler = instance[name];
      const sub = Reflect.getMetadata(PATH_METADATA, handler);
      if (sub === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const joined = ('/' + [base, String(sub)].filter(Boolean).join('/')).replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
      const url = [`/api/v1${joined}`, joined].find((candidate) => fastify.hasRoute({ method, url: candidate }));
      if (!url) throw new Error(`${method} ${joined} is a controller route but fastify does not serve it`);
      const rule = Reflect.getMetadata(ACCESS_RULE, handler) ?? Reflect.getMetadata(ACCESS_RULE, metatype);
      routes.push({ route: `${method} ${url}`, method, url, rule });
    }
  }
  return routes;
}

