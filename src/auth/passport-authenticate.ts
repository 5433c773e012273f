import type { IncomingMessage } from 'node:http';
import passport, { type Strategy } from 'passport';

/**
 * Runs one passport strategy against a request and resolves with what its `validate` returned, or
 * with `undefined` when the strategy failed (bad credential; `info` says why). Errors thrown by
 * `validate` reject. The strategy is the instance Nest built, not one looked up by name in
 * passport's global registry (which the last application built in a process would own); a fresh
 * object is derived from it per request, as passport does for registered strategies, because
 * passport attaches the request's callbacks to it.
 */
export function authenticateWith<T>(strategy: Strategy, request: IncomingMessage): Promise<{ user: T | undefined; info: unknown }> {
  return new Promise((resolve, reject) => {
    passport.authenticate(Object.create(strategy) as Strategy, { session: false }, (error: unknown, user: T | false, info: unknown) => {
      if (error) reject(error);
      else resolve({ user: user || undefined, info });
    })(request, undefined, reject);
  });
}
