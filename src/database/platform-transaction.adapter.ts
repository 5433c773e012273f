import type { TransactionalAdapter } from '@nestjs-cls/transactional';
import { Logger } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { quoteIdent, readDeploymentRoles } from './roles.js';
import { runInTransaction } from './tenant-transaction.adapter.js';

/** The name of the operators' TypeORM connection and of its @nestjs-cls/transactional plugin. */
export const PLATFORM_CONNECTION = 'platform';

export interface PlatformTransactionOptions {
  /**
   * The tenant the work concerns (`app.current_tenant`, transaction-local), so the audit rows it
   * writes land in that tenant's chain; none for cross-tenant reads.
   */
  tenantId?: string | null;
  readOnly?: boolean;
}

/**
 * @nestjs-cls/transactional adapter for the operators' connection (the owner's URL, its own small
 * pool): `TransactionHost<PlatformTransactionAdapter>.tx` is the EntityManager of a transaction
 * that runs as the deployment's platform role (recorded in the database, read once) — BYPASSRLS,
 * yet only the grants operators need (migration 31) — never as the owner. BEGIN, SET LOCAL ROLE and
 * the tenant travel in one round trip, and the transaction ends as a request's does (runInTransaction). Outside a transaction there is no
 * fallback: nothing runs as the owner.
 */
export class PlatformTransactionAdapter implements TransactionalAdapter<DataSource, EntityManager, PlatformTransactionOptions> {
  readonly connectionToken = getDataSourceToken(PLATFORM_CONNECTION);
  readonly defaultTxOptions: Partial<PlatformTransactionOptions> = { tenantId: null, readOnly: false };
  private readonly logger = new Logger('PlatformTransaction');

  optionsFactory = (dataSource: DataSource) => {
    let preambles: Promise<{ write: string; read: string }> | undefined;
    const preamblesOnce = () =>
      (preambles ??= readDeploymentRoles(dataSource).then(
        ({ platform }) => ({ write: `BEGIN; SET LOCAL ROLE ${quoteIdent(platform)}`, read: `BEGIN READ ONLY; SET LOCAL ROLE ${quoteIdent(platform)}` }),
        (error) => {
          preambles = undefined; // asked again by the next transaction
          throw error;
        },
      ));
    return {
      wrapWithTransaction: async (options: PlatformTransactionOptions, fn: () => Promise<unknown>, setTx: (tx?: EntityManager) => void) =>
        runInTransaction(
          dataSource,
          { tenantId: options.tenantId ?? null, preamble: options.readOnly ? (await preamblesOnce()).read : (await preamblesOnce()).write, preparedStatements: false },
          (manager) => {
            setTx(manager);
            return fn();
          },
          this.logger,
        ),
      getFallbackInstance: (): EntityManager => {
        throw new Error('No platform transaction is active: operators reach the database only inside one (TransactionHost.withTransaction)');
      },
    };
  };
}
