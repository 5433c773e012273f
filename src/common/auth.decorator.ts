import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from './auth-context.js';

/**
 * The caller, as the guards identified it: `create(@Auth() auth: AuthContext, @Body() dto)` →
 * `service.create(auth, dto)`. Services take it as an argument and never read the request.
 * Undefined on public routes.
 */
export const Auth = createParamDecorator((_: unknown, context: ExecutionContext): AuthContext | undefined => {
  return context.switchToHttp().getRequest<FastifyRequest>().auth;
});
