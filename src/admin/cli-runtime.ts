/**
 * What the CLI needs once a command runs (DTO classes and their validation, configuration, logging):
 * loaded by cli.ts only then, so `--help` and unknown commands answer without loading Nest,
 * class-validator or the Swagger decorators.
 */
import 'reflect-metadata';
export { default as pino } from 'pino';
export { CreateApiKeyDto } from '../api-keys/api-key.dto.js';
export { passwordProblem } from '../auth/password.policy.js';
export { ProblemException, ValidationProblem } from '../common/problem.js';
export { createValidationPipe } from '../common/validation.js';
export { appRoleUrl } from '../config/database.config.js';
export { loadConfig } from '../config/fraudguard.config.js';
export { ConfigError } from '../config/validate-config.js';
export { createLogger, PinoNestLogger } from '../observability/logger.js';
export { CreateUserDto } from '../users/user.dto.js';
export { AdminTenantListQuery, AdminTenantPatchDto, CreateTenantDto, TenantIdParam } from './admin-tenant.dto.js';
