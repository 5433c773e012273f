import { Module } from '@nestjs/common';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { ApiKeyController } from './api-key.controller.js';
import { ApiKeyLookupRepository } from './api-key-lookup.repository.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { ApiKeyService } from './api-key.service.js';
import { ApiKeyUsageRecorder } from './api-key-usage.recorder.js';
import { ApiKeyStrategy } from './api-key.strategy.js';

@Module({
  controllers: [ApiKeyController],
  providers: [ApiKeyAuthenticator, ApiKeyLookupRepository, ApiKeyUsageRecorder, ApiKeyStrategy, ApiKeyRepository, ApiKeyService],
  exports: [ApiKeyAuthenticator, ApiKeyStrategy, ApiKeyService],
})
export class ApiKeyModule {}
