import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { DetachedAuditWriter } from './detached-audit.writer.js';

@Global()
@Module({
  controllers: [AuditController],
  providers: [DetachedAuditWriter],
  exports: [DetachedAuditWriter],
})
export class AuditModule {}
