import { Injectable } from '@nestjs/common';
import { NotFoundProblem } from '../common/problem.js';
import { TenantRepository, TenantRow } from './tenant.repository.js';

@Injectable()
export class TenantService {
  constructor(private readonly tenants: TenantRepository) {}

  async getCurrent(): Promise<TenantRow> {
    const tenant = await this.tenants.findCurrent();
    if (!tenant) throw new NotFoundProblem('Tenant');
    return tenant;
  }
}
