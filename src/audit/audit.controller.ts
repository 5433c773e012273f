import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated } from '../common/authenticated.decorator.js';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { AuditChainVerification, AuditLogPage, AuditLogQuery } from './audit.dto.js';
import { AuditService } from './audit.service.js';

@ApiTags('Audit')
@ApiExtraModels(AuditLogPage)
@Controller('audit-logs')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Authenticated({ role: 'MANAGER', scopes: ['read:audit'] })
  @ApiOperation({
    summary: "The tenant's audit trail, newest first",
    description: 'JSON pages by default; `format=csv` or `format=ndjson` streams every matching row as a download.',
  })
  @ApiProduces('application/json', 'text/csv', 'application/x-ndjson')
  @ApiOkResponse({
    description: 'A page of audit rows, or the whole filtered trail as CSV / NDJSON',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(AuditLogPage) } },
      'text/csv': { schema: { type: 'string' } },
      'application/x-ndjson': { schema: { type: 'string' } },
    },
  })
  list(@Auth() auth: AuthContext, @Query() query: AuditLogQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.audit.respond(auth, query, reply);
  }

  @Get('verify')
  @Authenticated({ role: 'MANAGER', scopes: ['read:audit'] })
  @ApiOperation({
    summary: "Verify the audit trail's hash chain",
    description: 'Recomputes every sealed row\'s hash and link: `valid: false` and `first_broken_id` name the first edited, inserted or deleted row.',
  })
  @ApiOkResponse({ type: AuditChainVerification })
  verify(@Auth() auth: AuthContext): Promise<AuditChainVerification> {
    return this.audit.verify(auth);
  }
}
