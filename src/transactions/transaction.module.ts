import { Module } from '@nestjs/common';
import { AccountController } from './account.controller.js';
import { AccountRepository } from './account.repository.js';
import { AccountService } from './account.service.js';
import { AlertController } from './alert.controller.js';
import { AlertRepository } from './alert.repository.js';
import { AlertService } from './alert.service.js';
import { IngestRepository } from './ingest.repository.js';
import { TransactionQuotaRepository } from './transaction-quota.repository.js';
import { TransactionController } from './transaction.controller.js';
import { TransactionRepository } from './transaction.repository.js';
import { TransactionService } from './transaction.service.js';

/** Accounts, transaction ingest and scoring, fraud alerts. */
@Module({
  controllers: [AccountController, TransactionController, AlertController],
  providers: [
    AccountRepository,
    AccountService,
    TransactionRepository,
    IngestRepository,
    TransactionQuotaRepository,
    TransactionService,
    AlertRepository,
    AlertService,
  ],
})
export class TransactionModule {}
