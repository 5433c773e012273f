import { Body, Controller, Get, Patch, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { UuidParam } from '../common/id-param.js';
import { ApiProblems, Problem } from '../common/problem.schema.js';
import { AlertListQuery, UpdateAlertDto } from './alert.dto.js';
import { AlertService } from './alert.service.js';

@ApiTags('Alerts')
@Controller('alerts')
export class AlertController {
  constructor(private readonly alerts: AlertService) {}

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  @ApiOperation({ summary: 'List fraud alerts', description: 'Newest first; `handled=false` is the work queue, `severity` narrows it.' })
  list(@Auth() auth: AuthContext, @Query() query: AlertListQuery) {
    return this.alerts.list(auth, query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  @ApiOperation({ summary: 'One alert, with its transaction', description: 'The alert and the transaction that raised it, for a reviewer to decide on.' })
  get(@Auth() auth: AuthContext, @UuidParam() id: string) {
    return this.alerts.get(auth, id);
  }

  @Patch(':id')
  @Authenticated({ role: 'ANALYST', scopes: ['write:alerts'] })
  @ApiOperation({
    summary: 'Resolve, assign or annotate an alert',
    description:
      'Send at least one field; `null` clears `resolution`, `note` or `assignee_id`. A `resolution` marks the alert handled; ' +
      'the change is audited.',
  })
  @ApiBody({
    type: UpdateAlertDto,
    examples: {
      resolve: {
        summary: 'Close an alert as a false positive',
        value: { handled: true, resolution: 'FALSE_POSITIVE', note: 'The customer confirmed the purchase by phone' },
      },
    },
  })
  @ApiProblems(
    Problem.unprocessable('invalid-alert-change', 'Invalid alert change', 'An alert with a resolution is handled: do not send handled: false with it'),
    Problem.unprocessable('unknown-assignee', 'Unknown assignee', 'assignee_id is not a user of this organization', {
      errors: [{ field: 'assignee_id', message: 'not a user of this organization' }],
    }),
  )
  update(@Auth() auth: AuthContext, @UuidParam() id: string, @Body() dto: UpdateAlertDto) {
    return this.alerts.update(auth, id, dto);
  }
}
