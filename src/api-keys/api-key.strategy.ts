import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport-custom';
import type { AuthContext } from '../common/auth-context.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';

/** X-API-Key → AuthContext (passport-custom around ApiKeyAuthenticator, which caches and checks the key). */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly apiKeys: ApiKeyAuthenticator) {
    super();
  }

  validate(request: IncomingMessage): Promise<AuthContext> {
    return this.apiKeys.authenticate(request.headers['x-api-key'] as string);
  }
}
