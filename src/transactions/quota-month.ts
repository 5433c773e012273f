/** The first day of the current month in UTC: the quota period (SQL, for tenant_monthly_usage.month). */
export const CURRENT_QUOTA_MONTH = `(date_trunc('month', now() AT TIME ZONE 'UTC'))::date`;
