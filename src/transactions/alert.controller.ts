import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { ParseUuidPipe } from '../common/uuid.js';
import { AlertListQuery, UpdateAlertDto } from './alert.dto.js';
import { AlertService } from './alert.service.js';

@Controller('alerts')
export class AlertController {
  constructor(private readonly alerts: AlertService) {}

  @Get()
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  list(@Auth() auth: AuthContext, @Query() query: AlertListQuery) {
    return this.alerts.list(auth, query);
  }

  @Get(':id')
  @Authenticated({ role: 'VIEWER', scopes: ['read:alerts'] })
  get(@Auth() auth: AuthContext, @Param('id', ParseUuidPipe) id: string) {
    return this.alerts.get(auth, id);
  }

  @Patch(':id')
  @Authenticated({ role: 'ANALYST', scopes: ['write:alerts'] })
  update(@Auth() auth: AuthContext, @Param('id', ParseUuidPipe) id: string, @Body() dto: UpdateAlertDto) {
    return this.alerts.update(auth, id, dto);
  }
}
