/** The tenant that migration 2 creates and backfills every single-tenant row into (the seed's demo organisation). */
export const DEFAULT_TENANT_ID = 'default-tenant-001';
