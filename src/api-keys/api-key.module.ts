import { Module } from '@nestjs/common';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { ApiKeyLookupRepository } from './api-key-lookup.repository.js';

@Module({
  providers: [ApiKeyAuthenticator, ApiKeyLookupRepository],
  exports: [ApiKeyAuthenticator],
})
export class ApiKeyModule {}
