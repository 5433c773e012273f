/** Injection tokens of the database layer and configuration. */
export const APP_DATABASE_URL = Symbol('APP_DATABASE_URL');
export const APP_CONFIG = Symbol('APP_CONFIG');
