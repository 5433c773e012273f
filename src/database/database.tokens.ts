/** Injection tokens of the database layer. */
export const APP_DATA_SOURCE = Symbol('APP_DATA_SOURCE');
export const APP_DATABASE_URL = Symbol('APP_DATABASE_URL');
