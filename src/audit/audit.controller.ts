import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated } from '../common/authenticated.decorator.js';
import { ApiProblems } from '../common/problem.schema.js';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { AuditChainVerification, AuditLogPage, AuditLogQuery } from './audit.dto.js';
import { AuditService } from './audit.service.js';

@ApiTags('audit')
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
  @ApiProblems(400)
  list(@Auth() auth: AuthContext, @Query() query: AuditLogQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.audit.respond(auth, query, reply);
  }

  @Get('verify')
  @Authenticated({ role: 'MANAGER', scopes: ['read:audit'] })
  @ApiOperation({ summary: "Checks the tenant's audit hash chain", description: 'Detects an edited or deleted row (see docs/audit-and-operations.md).' })
  @ApiOkResponse({ type: AuditChainVerification })
  verify(@Auth() auth: AuthContext): Promise<AuditChainVerification> {
    return this.audit.verify(auth);
  }
}
