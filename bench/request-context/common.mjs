/** What every variant of the request-context benchmark shares: the statements and the decorator helpers. */
import 'reflect-metadata';
import { Inject } from '@nestjs/common';

/** The same statement in every variant: one tenant's first 20 rows, the tenant taken from the transaction's setting. */
export const SQL = `SELECT id, name, amount FROM rc_items WHERE tenant_id = current_setting('app.current_tenant') ORDER BY id LIMIT 20`;
/** The tenant as a statement of its own (the stock adapter's variant). */
export const SET_TENANT = `SELECT set_config('app.current_tenant', $1, true)`;
/** FraudGuard's preamble for a GET with DB_PREPARED_STATEMENTS=false; its tenant's set_config follows in the same message. */
export const PREAMBLE = 'BEGIN READ ONLY';

export const tenantOf = (request) => request.headers['x-tenant'];

/** Nest's decorators applied as functions: the calls TypeScript's emitted `__decorate` makes. */
export const decorate = (target, ...decorators) => Reflect.decorate(decorators, target);
export const decorateMethod = (target, key, ...decorators) =>
  Reflect.decorate(decorators, target.prototype, key, Object.getOwnPropertyDescriptor(target.prototype, key));
/** Constructor injection by explicit token (what `@Inject(token)` on each parameter does). */
export const inject = (target, ...tokens) => tokens.forEach((token, index) => Inject(token)(target, undefined, index));
