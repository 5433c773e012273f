import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
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
  list(@Auth() auth: AuthContext, @Query() query: PageQuery) {
    return this.users.list(auth, query);
  }

  @Post()
  @Authenticated({ role: 'ADMIN' })
  create(@Auth() auth: AuthContext, @Body() dto: CreateUserDto) {
    return this.users.create(auth, dto);
  }

  @Get('me')
  @Authenticated({ usersOnly: true })
  me(@Auth() auth: AuthContext) {
    return this.users.me(auth);
  }

  @Post('me/password')
  @HttpCode(204)
  @Authenticated({ usersOnly: true })
  changePassword(@Auth() auth: AuthContext, @Body() dto: ChangePasswordDto) {
    return this.users.changePassword(auth, dto);
  }

  @Get(':id')
  @Authenticated({ role: 'MANAGER' })
  get(@Auth() auth: AuthContext, @IdParam() id: number) {
    return this.users.get(auth, id);
  }

  @Patch(':id')
  @Authenticated({ role: 'ADMIN' })
  update(@Auth() auth: AuthContext, @IdParam() id: number, @Body() dto: UpdateUserDto) {
    return this.users.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ role: 'ADMIN' })
  deactivate(@Auth() auth: AuthContext, @IdParam() id: number) {
    return this.users.deactivate(auth, id);
  }
}
