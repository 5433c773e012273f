import { ProblemException } from './problem.js';

/**
 * Tenant status is enforced on every request: a suspended, cancelled or expired-trial tenant is
 * refused whatever credential it presents.
 */
export function assertTenantUsable(status: string, trialEndsAt: Date | string | null, now = Date.now()): void {
  if (status === 'SUSPENDED') throw new ProblemException(403, 'tenant-suspended', 'Tenant suspended', 'This organization is suspended');
  if (status === 'CANCELLED') throw new ProblemException(403, 'tenant-cancelled', 'Tenant cancelled', 'This organization has been cancelled');
  if (status === 'TRIAL' && trialEndsAt && new Date(trialEndsAt).getTime() <= now) {
    throw new ProblemException(403, 'trial-expired', 'Trial expired', 'The trial period of this organization has ended');
  }
}
