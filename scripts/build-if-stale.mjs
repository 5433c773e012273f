#!/usr/bin/env node
/**
 * `npm start`, `npm run cli` and `npm run smoke` run from dist/. This builds first only when dist/
 * is missing or older than what it is built from (sources, migrations, build configuration and the
 * lock file); otherwise it returns at once. The check compares modification times — of files and
 * of folders, so a deleted or renamed source counts too — with dist/src/main.js, which every build
 * rewrites (nest-cli.json: deleteOutDir).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The checkout this script belongs to; BUILD_ROOT points it at another (its test uses a scratch one).
const root = process.env.BUILD_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['src', 'migrations', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package-lock.json'];
const BUILT = path.join(root, 'dist/src/main.js');

/** The newest modification time under `target` (a file, or a folder and everything in it). */
function newest(target) {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    return 0;
  }
  let time = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const entry of readdirSync(target)) time = Math.max(time, newest(path.join(target, entry)));
  }
  return time;
}

function builtAt() {
  try {
    return statSync(BUILT).mtimeMs;
  } catch {
    return undefined;
  }
}

const built = builtAt();
const changed = INPUTS.find((input) => built === undefined || newest(path.join(root, input)) > built);
if (changed !== undefined) {
  process.stderr.write(built === undefined ? 'Building dist/ (first run)…\n' : `Rebuilding dist/ (${changed} changed since the last build)…\n`);
  // The compiler's output goes to stderr too: stdout belongs to the command that follows (the CLI's JSON).
  const result = spawnSync(path.join(root, 'node_modules/.bin/nest'), ['build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
