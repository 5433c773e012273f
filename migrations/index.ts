import { SingleTenantSchema1700000000000 } from './1700000000000-single-tenant-schema.js';
import { TenantTables1700000000001 } from './1700000000001-tenant-tables.js';
import { TenantIdEverywhere1700000000002 } from './1700000000002-tenant-id-everywhere.js';
import { RowLevelSecurity1700000000003 } from './1700000000003-row-level-security.js';
import { AuthNotifications1700000000004 } from './1700000000004-auth-notifications.js';
import { AuditHashChain1700000000030 } from './1700000000030-audit-hash-chain.js';
import { PlatformRole1700000000031 } from './1700000000031-platform-role.js';

/** Every migration, in the order they apply. A new migration is added here and nowhere else. */
export const migrations = [
  SingleTenantSchema1700000000000,
  TenantTables1700000000001,
  TenantIdEverywhere1700000000002,
  RowLevelSecurity1700000000003,
  AuthNotifications1700000000004,
  AuditHashChain1700000000030,
  PlatformRole1700000000031,
];
