import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { ParseUuidPipe } from '../common/uuid.js';
import { AlertDto, AlertListQuery, AlertPageDto, UpdateAlertDto } from './alert.dto.js';
import { AlertService } from './alert.service.js';

@Controller('alerts')
export class AlertController {
  constructor(private readonly alerts: AlertService) {}

  @Get()
  @ApiOkResponse({ type: AlertPageDto })
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  list(@Auth() auth: AuthContext, @Query() query: AlertListQuery) {
    return this.alerts.list(auth, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: AlertDto, description: 'The alert, with its transaction (null if gone)' })
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  get(@Auth() auth: AuthContext, @Param('id', ParseUuidPipe) id: string) {
    return this.alerts.get(auth, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: AlertDto })
  @Authenticated({ role: 'ANALYST', scopes: ['write:alerts'] })
  update(@Auth() auth: AuthContext, @Param('id', ParseUuidPipe) id: string, @Body() dto: UpdateAlertDto) {
    return this.alerts.update(auth, id, dto);
  }
}
