/** Injection tokens of the database layer. */
export const APP_DATABASE_URL = Symbol('APP_DATABASE_URL');
