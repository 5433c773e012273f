export const CLIENT_TYPES_FILE: string;
export function generateClientTypes(document: unknown): Promise<string>;
