import { Module } from '@nestjs/common';
import { AccessTokenService } from './access-token.service.js';
import { AuthLookupRepository } from './auth-lookup.repository.js';
import { AuthController } from './auth.controller.js';
import { JwtAuthenticator } from './jwt.authenticator.js';
import { UnknownEmailThrottle } from './login-throttle.js';
import { PasswordHasher } from './password.hasher.js';
import { SubdomainResolver } from './subdomain.resolver.js';

@Module({
  controllers: [AuthController],
  providers: [AccessTokenService, AuthLookupRepository, JwtAuthenticator, UnknownEmailThrottle, PasswordHasher, SubdomainResolver],
  exports: [JwtAuthenticator, SubdomainResolver, PasswordHasher],
})
export class AuthModule {}
