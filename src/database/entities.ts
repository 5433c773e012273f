import { ApiKey } from '../api-keys/api-key.entity.js';
import { AuditChainHead } from '../audit/audit-chain-head.entity.js';
import { AuditLog } from '../audit/audit-log.entity.js';
import { PasswordReset } from '../auth/password-reset.entity.js';
import { RefreshToken } from '../auth/refresh-token.entity.js';
import { IdempotencyKey } from '../common/idempotency-key.entity.js';
import { SystemLog } from '../observability/system-log.entity.js';
import { TenantMonthlyUsage } from '../tenants/tenant-monthly-usage.entity.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { AccountProfile } from '../transactions/account-profile.entity.js';
import { Account } from '../transactions/account.entity.js';
import { FraudAlert } from '../transactions/fraud-alert.entity.js';
import { Transaction } from '../transactions/transaction.entity.js';
import { User } from '../users/user.entity.js';

/**
 * Every entity, one per table the migrations create (TypeORM's own `migrations` table aside).
 * test/database/entities.e2e-spec.ts proves they match the migrated schema.
 */
export const entities = [
  Tenant,
  TenantMonthlyUsage,
  User,
  RefreshToken,
  PasswordReset,
  ApiKey,
  AuditLog,
  AuditChainHead,
  Account,
  AccountProfile,
  Transaction,
  FraudAlert,
  IdempotencyKey,
  SystemLog,
];
