/**
 * The database roles of one deployment (DESIGN.md, database rules). The migrations create them and
 * the app connects as them, so both take the names from here.
 */

/** Owns every table; migrations and start-up tasks run as it. */
export const OWNER_ROLE = 'fraudguard_owner';

/** What the server connects as: NOSUPERUSER NOBYPASSRLS, owns nothing. */
export const APP_ROLE = 'fraudguard_app';

/** The app role's password when APP_DB_PASSWORD is unset (outside production only). */
export const DEV_APP_DB_PASSWORD = 'fraudguard_app_dev';

/** The operators' cross-tenant role (BYPASSRLS, NOLOGIN), entered with SET LOCAL ROLE. */
export const PLATFORM_ROLE = 'fraudguard_platform';
