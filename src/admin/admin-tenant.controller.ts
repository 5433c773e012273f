import { Body, Controller, Get, Param, Patch, Query, Req } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '../common/problem.schema.js';
import { AdminTenantDto, AdminTenantListQuery, AdminTenantPageDto, AdminTenantPatchDto, TenantIdParam } from './admin-tenant.dto.js';
import { AdminTenantService } from './admin-tenant.service.js';
import { OperatorOnly } from './platform-admin.guard.js';

/** Where an operator's action came from, for the affected tenant's audit trail. */
function operatorOrigin(request: FastifyRequest) {
  return {
    userId: null,
    ipAddress: request.ip ?? null,
    userAgent: request.headers['user-agent'] ?? null,
    requestId: request.id,
    actor: { operator: 'platform-admin', via: 'admin-api' },
  };
}

@ApiTags('admin')
@ApiExtraModels(AdminTenantDto)
@Controller('admin/tenants')
@OperatorOnly()
export class AdminTenantController {
  constructor(private readonly tenants: AdminTenantService) {}

  @Get()
  @ApiOperation({ summary: 'Every tenant, with usage (operators only)' })
  @ApiOkResponse({ type: AdminTenantPageDto })
  @ApiProblems(400)
  list(@Query() query: AdminTenantListQuery) {
    return this.tenants.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One tenant, with usage (operators only)' })
  @ApiOkResponse({ type: AdminTenantDto })
  @ApiProblems(400, 404)
  get(@Param() params: TenantIdParam) {
    return this.tenants.get(params.id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change plan and limits, suspend, reactivate, cancel or extend the trial (operators only)',
    description: "Audited into the tenant's own trail.",
  })
  @ApiOkResponse({ type: AdminTenantDto })
  @ApiProblems(400, 404)
  update(@Param() params: TenantIdParam, @Body() patch: AdminTenantPatchDto, @Req() request: FastifyRequest) {
    return this.tenants.update(params.id, patch, operatorOrigin(request));
  }
}
