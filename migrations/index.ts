import { SingleTenantSchema1700000000000 } from './1700000000000-single-tenant-schema.js';
import { TenantTables1700000000001 } from './1700000000001-tenant-tables.js';
import { TenantIdEverywhere1700000000002 } from './1700000000002-tenant-id-everywhere.js';
import { RowLevelSecurity1700000000003 } from './1700000000003-row-level-security.js';
import { AuthNotifications1700000000004 } from './1700000000004-auth-notifications.js';
import { TransactionIngest1700000000020 } from './1700000000020-transaction-ingest.js';
import { AccountsAndLogin1700000000010 } from './1700000000010-accounts-and-login.js';
import { PrincipalPlan1700000000011 } from './1700000000011-principal-plan.js';
import { AuditHashChain1700000000030 } from './1700000000030-audit-hash-chain.js';
import { PlatformRole1700000000031 } from './1700000000031-platform-role.js';
import { AccountProfiles1700000000041 } from './1700000000041-account-profiles.js';
import { ExternalIdPartialUnique1700000000042 } from './1700000000042-external-id-partial-unique.js';
import { TransactionsReachTenantThroughAccount1700000000043 } from './1700000000043-transactions-reach-tenant-through-account.js';
import { AuditChainInlineHash1700000000044 } from './1700000000044-audit-chain-inline-hash.js';
import { AccountProfilesFillfactor1700000000045 } from './1700000000045-account-profiles-fillfactor.js';
import { ColumnDefaultsTypeormReadsBack1700000000046 } from './1700000000046-column-defaults-typeorm-reads-back.js';
import { AuditChainSealing1700000000050 } from './1700000000050-audit-chain-sealing.js';
import { QuotaSlots1700000000060 } from './1700000000060-quota-slots.js';
import { LoginLookupOneAccount1700000000080 } from './1700000000080-login-lookup-one-account.js';
import { DeploymentRoles1700000000090 } from './1700000000090-deployment-roles.js';
import { AmountText1700000000100 } from './1700000000100-amount-text.js';
import { TransactionAccountRef1700000000101 } from './1700000000101-transaction-account-ref.js';

/** Every migration, in the order they apply. A new migration is added here and nowhere else. */
export const migrations = [
  SingleTenantSchema1700000000000,
  TenantTables1700000000001,
  TenantIdEverywhere1700000000002,
  RowLevelSecurity1700000000003,
  AuthNotifications1700000000004,
  AccountsAndLogin1700000000010,
  PrincipalPlan1700000000011,
  TransactionIngest1700000000020,
  AuditHashChain1700000000030,
  PlatformRole1700000000031,
  AccountProfiles1700000000041,
  ExternalIdPartialUnique1700000000042,
  TransactionsReachTenantThroughAccount1700000000043,
  AuditChainInlineHash1700000000044,
  AccountProfilesFillfactor1700000000045,
  ColumnDefaultsTypeormReadsBack1700000000046,
  AuditChainSealing1700000000050,
  QuotaSlots1700000000060,
  LoginLookupOneAccount1700000000080,
  DeploymentRoles1700000000090,
  AmountText1700000000100,
  TransactionAccountRef1700000000101,
];
