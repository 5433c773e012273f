import { Body, Controller, Injectable, Module, Post } from '@nestjs/common';
import { AuditWriter } from '../../src/audit/audit.writer.js';
import type { AuthContext } from '../../src/common/auth-context.js';
import { Auth } from '../../src/common/auth.decorator.js';
import { Authenticated } from '../../src/common/authenticated.decorator.js';
import { ProblemException } from '../../src/common/problem.js';

/**
 * Test-only routes that write audit rows the way feature code does (AuditWriter.record in the
 * request's transaction, recordDetached for a refusal whose request then fails).
 */
@Injectable()
class AuditProbeService {
  constructor(private readonly audit: AuditWriter) {}

  async write(auth: AuthContext, body: any): Promise<{ ok: true }> {
    await this.audit.record(auth, {
      action: String(body.action ?? 'probe.changed'),
      resourceType: body.resource_type,
      resourceId: body.resource_id,
      oldValue: body.old_value,
      newValue: body.new_value,
      userId: body.user_id,
    });
    return { ok: true };
  }

  async refuse(auth: AuthContext): Promise<never> {
    await this.audit.record(auth, { action: 'probe.rolled_back' });
    await this.audit.recordDetached(auth, { action: 'quota.refused', resourceType: 'transaction', severity: 'WARNING', newValue: { limit: 10 } });
    throw new ProblemException(429, 'plan-limit', 'Plan limit reached', 'probe refusal');
  }
}

@Controller('probe/audit')
class AuditProbeController {
  constructor(private readonly probe: AuditProbeService) {}

  @Post()
  @Authenticated()
  write(@Auth() auth: AuthContext, @Body() body: any) {
    return this.probe.write(auth, body);
  }

  @Post('refuse')
  @Authenticated()
  refuse(@Auth() auth: AuthContext) {
    return this.probe.refuse(auth);
  }
}

@Module({ controllers: [AuditProbeController], providers: [AuditProbeService] })
export class AuditProbeModule {}
