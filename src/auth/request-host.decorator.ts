import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The host name the client addressed (`acme.fraudguard.example`, without the port), for public flows
 * whose tenant hint is the Host subdomain; services get it as an argument and never read the request.
 */
export const RequestHost = createParamDecorator((_: unknown, context: ExecutionContext): string | undefined => {
  return context.switchToHttp().getRequest<FastifyRequest>().hostname;
});
