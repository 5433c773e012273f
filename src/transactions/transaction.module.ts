import { Module } from '@nestjs/common';
import { AccountController } from './account.controller.js';
import { AccountRepository } from './account.repository.js';
import { AccountService } from './account.service.js';
import { AlertController } from './alert.controller.js';
import { TransactionController } from './transaction.controller.js';

/** Accounts, transaction ingest and scoring, fraud alerts (services and repositories are request-bound). */
@Module({
  controllers: [AccountController, TransactionController, AlertController],
  providers: [AccountRepository, AccountService],
})
export class TransactionModule {}
