/**
 * The TypeScript types of the API client, generated from openapi.json by openapi-typescript and
 * committed as test/openapi/fraudguard-api.ts: the integrator-flow test (client.e2e-spec.ts) is
 * type-checked against them, and checks that they match the document. Plain JavaScript so
 * `npm run openapi` can run it after the build (types in client-types.d.mts).
 */
import openapiTS, { astToString } from 'openapi-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLIENT_TYPES_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fraudguard-api.ts');

const HEADER = '/**\n * Generated from openapi.json by openapi-typescript (`npm run openapi`); do not edit.\n */\n\n';

export async function generateClientTypes(document) {
  const ast = await openapiTS(structuredClone(document), { alphabetize: true });
  return HEADER + astToString(ast);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const document = JSON.parse(readFileSync(path.resolve(process.argv[2] ?? 'openapi.json'), 'utf8'));
  writeFileSync(CLIENT_TYPES_FILE, await generateClientTypes(document));
  process.stdout.write(`wrote ${path.relative(process.cwd(), CLIENT_TYPES_FILE)}\n`);
}
