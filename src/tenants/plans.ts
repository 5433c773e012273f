/**
 * The plan table, in one place: what each plan allows. A tenant row copies these limits at signup
 * (and when an operator changes its plan) so limits can also be tuned per tenant.
 */
export const PLANS = {
  STARTER: { max_users: 5, max_transactions_per_month: 50_000, max_storage_gb: 10, rate_limit_per_minute: 600, default_key_rate_limit_per_minute: 100 },
  PROFESSIONAL: { max_users: 25, max_transactions_per_month: 1_000_000, max_storage_gb: 100, rate_limit_per_minute: 6_000, default_key_rate_limit_per_minute: 1_000 },
  ENTERPRISE: { max_users: 1_000, max_transactions_per_month: 50_000_000, max_storage_gb: 1_000, rate_limit_per_minute: 60_000, default_key_rate_limit_per_minute: 10_000 },
} as const;

export type Plan = keyof typeof PLANS;
export const PLAN_NAMES = Object.keys(PLANS) as Plan[];
