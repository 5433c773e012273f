import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { AlertListQuery, UpdateAlertDto } from './alert.dto.js';
import { AlertService } from './alert.service.js';

@Controller('alerts')
export class AlertController {
  constructor(private readonly alerts: AlertService) {}

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  list(@Query() query: AlertListQuery) {
    return this.alerts.list(query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.alerts.get(id);
  }

  @Patch(':id')
  @Authenticated({ role: 'ANALYST', scopes: ['write:alerts'] })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateAlertDto) {
    return this.alerts.update(id, dto);
  }
}
