import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { Auth } from '../common/auth.decorator.js';
import { Authenticated } from '../common/authenticated.decorator.js';
import { IdParam } from '../common/id-param.js';
import { PageQuery } from '../common/pagination.js';
import { ApiProblems, Problem, problemDoc } from '../common/problem.schema.js';
import { ChangePasswordDto, CreateUserDto, UpdateUserDto } from './user.dto.js';
import { UserService } from './user.service.js';

const lastAdmin = () => Problem.conflict('last-admin', 'Last administrator', 'The last active ADMIN of an organization cannot be demoted or deactivated');

@ApiTags('Users')
@Controller('users')
export class UserController {
  constructor(private readonly users: UserService) {}

  @Get()
  @Authenticated({ role: 'MANAGER' })
  @ApiOperation({ summary: "List the organization's users", description: 'Oldest first, a page at a time.' })
  list(@Auth() auth: AuthContext, @Query() query: PageQuery) {
    return this.users.list(auth, query);
  }

  @Post()
  @Authenticated({ role: 'ADMIN' })
  @ApiOperation({
    summary: 'Add a user',
    description: 'The user can log in at once with this password. `role` defaults to VIEWER. Counts against the plan\'s `max_users`.',
  })
  @ApiBody({
    type: CreateUserDto,
    examples: {
      analyst: {
        summary: 'An analyst who works the alerts',
        value: { email: 'grace@acme-payments.example', password: 'Analys7-Compiler-Bug', full_name: 'Grace Hopper', role: 'ANALYST' },
      },
    },
  })
  @ApiProblems(
    Problem.planLimit('The plan allows 5 active users; deactivate one or upgrade the plan', { limit: 'max_users', max_users: 5 }),
    Problem.conflict('email-taken', 'E-mail taken', 'A user with this e-mail already exists in this organization'),
  )
  create(@Auth() auth: AuthContext, @Body() dto: CreateUserDto) {
    return this.users.create(auth, dto);
  }

  @Get('me')
  @Authenticated({ usersOnly: true })
  @ApiOperation({ summary: 'The logged-in user', description: 'Who the Bearer token belongs to, with the role it grants.' })
  me(@Auth() auth: AuthContext) {
    return this.users.me(auth);
  }

  @Post('me/password')
  @HttpCode(204)
  @Authenticated({ usersOnly: true })
  @ApiOperation({ summary: 'Change my password', description: "Needs the current password. The user's other sessions end; this one goes on." })
  @ApiBody({
    type: ChangePasswordDto,
    examples: { change: { summary: 'Current and new password', value: { current_password: 'Corr3ct-Horse-Battery', new_password: 'N3w-Horse-Battery-Staple' } } },
  })
  @ApiProblems(
    problemDoc(400, 'invalid-current-password', 'Wrong current password', 'current_password is not the current password', {
      errors: [{ field: 'current_password', message: 'current_password is not the current password' }],
    }),
  )
  changePassword(@Auth() auth: AuthContext, @Body() dto: ChangePasswordDto) {
    return this.users.changePassword(auth, dto);
  }

  @Get(':id')
  @Authenticated({ role: 'MANAGER' })
  @ApiOperation({ summary: 'One user', description: 'A user of the caller\'s organization; any other id is a 404.' })
  get(@Auth() auth: AuthContext, @IdParam() id: number) {
    return this.users.get(auth, id);
  }

  @Patch(':id')
  @Authenticated({ role: 'ADMIN' })
  @ApiOperation({
    summary: "Change a user's name, role or status",
    description: 'Every field is optional. Demoting or deactivating the last active ADMIN is refused (409).',
  })
  @ApiBody({ type: UpdateUserDto, examples: { promote: { summary: 'Promote an analyst', value: { full_name: 'Grace B. Hopper', role: 'MANAGER' } } } })
  @ApiProblems(lastAdmin(), Problem.planLimit('The plan allows 5 active users; deactivate one or upgrade the plan', { limit: 'max_users', max_users: 5 }))
  update(@Auth() auth: AuthContext, @IdParam() id: number, @Body() dto: UpdateUserDto) {
    return this.users.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ role: 'ADMIN' })
  @ApiOperation({ summary: 'Deactivate a user', description: 'The user can no longer log in and every session ends; the row stays for the audit trail.' })
  @ApiProblems(lastAdmin())
  deactivate(@Auth() auth: AuthContext, @IdParam() id: number) {
    return this.users.deactivate(auth, id);
  }
}
