import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { Authenticated } from '../common/authenticated.decorator.js';
import { IdParam } from '../common/id-param.js';
import { PageQuery } from '../common/pagination.js';
import { Bound } from '../database/request-scope.js';
import { ChangePasswordDto, CreateUserDto, UpdateUserDto } from './user.dto.js';
import { UserService } from './user.service.js';

@Controller('users')
export class UserController {
  @Get()
  @Authenticated({ role: 'MANAGER' })
  list(@Query() query: PageQuery, @Bound(UserService) users: UserService) {
    return users.list(query);
  }

  @Post()
  @Authenticated({ role: 'ADMIN' })
  create(@Body() dto: CreateUserDto, @Bound(UserService) users: UserService) {
    return users.create(dto);
  }

  @Get('me')
  @Authenticated({ usersOnly: true })
  me(@Bound(UserService) users: UserService) {
    return users.me();
  }

  @Post('me/password')
  @HttpCode(204)
  @Authenticated({ usersOnly: true })
  changePassword(@Body() dto: ChangePasswordDto, @Bound(UserService) users: UserService) {
    return users.changePassword(dto);
  }

  @Get(':id')
  @Authenticated({ role: 'MANAGER' })
  get(@IdParam() id: number, @Bound(UserService) users: UserService) {
    return users.get(id);
  }

  @Patch(':id')
  @Authenticated({ role: 'ADMIN' })
  update(@IdParam() id: number, @Body() dto: UpdateUserDto, @Bound(UserService) users: UserService) {
    return users.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ role: 'ADMIN' })
  deactivate(@IdParam() id: number, @Bound(UserService) users: UserService) {
    return users.deactivate(id);
  }
}
