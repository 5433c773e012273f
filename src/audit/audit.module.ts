import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { AuditWriter } from './audit.writer.js';
import { DetachedAuditWriter } from './detached-audit.writer.js';

@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditWriter, DetachedAuditWriter, AuditService, AuditRepository],
  exports: [AuditWriter, DetachedAuditWriter],
})
export class AuditModule {}
