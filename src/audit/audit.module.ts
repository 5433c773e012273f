import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditSealRepository } from './audit-seal.repository.js';
import { AuditSealer } from './audit-sealer.js';
import { AuditService } from './audit.service.js';
import { AuditWriter } from './audit.writer.js';
import { DetachedAuditWriter } from './detached-audit.writer.js';

/** The audit trail: every feature writes to it (AuditWriter), so it is global; /metrics reads the sealer's gauges. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, AuditWriter, DetachedAuditWriter, AuditSealRepository, AuditSealer],
  exports: [AuditWriter, DetachedAuditWriter, AuditSealer],
})
export class AuditModule {}
