import { Module } from '@nestjs/common';
import { AccessTokenService } from './access-token.service.js';
import { AuthLookupRepository } from './auth-lookup.repository.js';
import { AuthController } from './auth.controller.js';
import { AuthRepository } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { UnknownEmailThrottle } from './login-throttle.js';
import { PasswordHasher } from './password.hasher.js';
import { SubdomainResolver } from './subdomain.resolver.js';
import { UserPrincipals } from './user-principals.js';

@Module({
  controllers: [AuthController],
  providers: [
    AccessTokenService,
    AuthLookupRepository,
    AuthRepository,
    AuthService,
    JwtStrategy,
    UserPrincipals,
    UnknownEmailThrottle,
    PasswordHasher,
    SubdomainResolver,
  ],
  exports: [JwtStrategy, UserPrincipals, SubdomainResolver, PasswordHasher, AuthRepository],
})
export class AuthModule {}
