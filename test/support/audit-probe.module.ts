import { Body, Controller, Module, Post } from '@nestjs/common';
import { AuditWriter } from '../../src/audit/audit.writer.js';
import { Authenticated } from '../../src/common/authenticated.decorator.js';
import { ProblemException } from '../../src/common/problem.js';
import { Bound, RequestBound } from '../../src/database/request-scope.js';

/**
 * Test-only routes that write audit rows the way feature code does (AuditWriter.record in the
 * request's transaction, recordDetached for a refusal whose request then fails).
 */
@RequestBound()
class AuditProbeService {
  constructor(private readonly audit: AuditWriter) {}

  async write(body: any): Promise<{ ok: true }> {
    await this.audit.record({
      action: String(body.action ?? 'probe.changed'),
      resourceType: body.resource_type,
      resourceId: body.resource_id,
      oldValue: body.old_value,
      newValue: body.new_value,
      userId: body.user_id,
    });
    return { ok: true };
  }

  async refuse(): Promise<never> {
    await this.audit.record({ action: 'probe.rolled_back' });
    await this.audit.recordDetached({ action: 'quota.refused', resourceType: 'transaction', severity: 'WARNING', newValue: { limit: 10 } });
    throw new ProblemException(429, 'plan-limit', 'Plan limit reached', 'probe refusal');
  }
}

@Controller('probe/audit')
class AuditProbeController {
  @Post()
  @Authenticated()
  write(@Body() body: any, @Bound(AuditProbeService) probe: AuditProbeService) {
    return probe.write(body);
  }

  @Post('refuse')
  @Authenticated()
  refuse(@Bound(AuditProbeService) probe: AuditProbeService) {
    return probe.refuse();
  }
}

@Module({ controllers: [AuditProbeController] })
export class AuditProbeModule {}
