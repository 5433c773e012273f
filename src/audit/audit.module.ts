import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { AuditWriter } from './audit.writer.js';
import { DetachedAuditWriter } from './detached-audit.writer.js';

/** The audit trail: every feature writes to it (AuditWriter), so it is global. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, AuditWriter, DetachedAuditWriter],
  exports: [AuditWriter, DetachedAuditWriter],
})
export class AuditModule {}
