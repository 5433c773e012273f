import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { Bound } from '../database/request-scope.js';
import { AlertListQuery, UpdateAlertDto } from './alert.dto.js';
import { AlertService } from './alert.service.js';

@Controller('alerts')
export class AlertController {
  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  list(@Query() query: AlertListQuery, @Bound(AlertService) alerts: AlertService) {
    return alerts.list(query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  get(@Param('id', ParseUUIDPipe) id: string, @Bound(AlertService) alerts: AlertService) {
    return alerts.get(id);
  }

  @Patch(':id')
  @Authenticated({ role: 'ANALYST', scopes: ['write:alerts'] })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateAlertDto, @Bound(AlertService) alerts: AlertService) {
    return alerts.update(id, dto);
  }
}
