import { Body, Controller, Get, Param, Patch, Query, Req } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
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

@ApiTags('Operators')
@ApiExtraModels(AdminTenantDto)
@Controller('admin/tenants')
@OperatorOnly()
export class AdminTenantController {
  constructor(private readonly tenants: AdminTenantService) {}

  @Get()
  @ApiOperation({ summary: 'List every tenant, with usage', description: 'Newest first; filter by `status`.' })
  @ApiOkResponse({ type: AdminTenantPageDto })
  list(@Query() query: AdminTenantListQuery) {
    return this.tenants.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One tenant, with usage', description: 'Its plan, limits, status and current usage.' })
  @ApiOkResponse({ type: AdminTenantDto })
  get(@Param() params: TenantIdParam) {
    return this.tenants.get(params.id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: "Change a tenant's plan, limits or status",
    description:
      '`plan` alone also resets the limits to the plan\'s; limits given explicitly win. `status` SUSPENDED suspends, ACTIVE ' +
      "reactivates, CANCELLED cancels; `extend_trial_days` extends the trial. Audited into the tenant's own trail with `reason`.",
  })
  @ApiBody({
    type: AdminTenantPatchDto,
    examples: { upgrade: { summary: 'Move a tenant to the Professional plan', value: { plan: 'PROFESSIONAL', reason: 'Upgraded after the sales call' } } },
  })
  @ApiOkResponse({ type: AdminTenantDto })
  update(@Param() params: TenantIdParam, @Body() patch: AdminTenantPatchDto, @Req() request: FastifyRequest) {
    return this.tenants.update(params.id, patch, operatorOrigin(request));
  }
}
