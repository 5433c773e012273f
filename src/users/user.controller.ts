import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { IdParam } from '../common/id-param.js';
import { PageQuery } from '../common/pagination.js';
import { ChangePasswordDto, CreateUserDto, UpdateUserDto } from './user.dto.js';
import { UserService } from './user.service.js';

@Controller('users')
export class UserController {
  constructor(private readonly users: UserService) {}

  @Get()
  @Authenticated({ role: 'MANAGER' })
  list(@Query() query: PageQuery) {
    return this.users.list(query);
  }

  @Post()
  @Authenticated({ role: 'ADMIN' })
  create(@Body() dto: CreateUserDto) {
    return this.users.create(dto);
  }

  @Get('me')
  @Authenticated({ usersOnly: true })
  me() {
    return this.users.me();
  }

  @Post('me/password')
  @HttpCode(204)
  @Authenticated({ usersOnly: true })
  changePassword(@Body() dto: ChangePasswordDto) {
    return this.users.changePassword(dto);
  }

  @Get(':id')
  @Authenticated({ role: 'MANAGER' })
  get(@IdParam() id: number) {
    return this.users.get(id);
  }

  @Patch(':id')
  @Authenticated({ role: 'ADMIN' })
  update(@IdParam() id: number, @Body() dto: UpdateUserDto) {
    return this.users.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ role: 'ADMIN' })
  deactivate(@IdParam() id: number) {
    return this.users.deactivate(id);
  }
}
