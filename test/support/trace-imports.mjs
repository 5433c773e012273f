/**
 * `node --import ./test/support/trace-imports.mjs …`: writes every module URL the process loads to
 * stderr (`import: <url>`), so a test can check what a command path loads — not how long it takes.
 */
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { writeSync } from 'node:fs';
      export async function load(url, context, next) {
        writeSync(2, 'import: ' + url + '\\n');
        return next(url, context);
      }
    `),
);
