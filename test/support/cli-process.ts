import { spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve('dist/src/admin/cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is. */
  json: any;
}

/**
 * `npm run cli -- …` as operators run it: a separate node process against `ownerUrl` (npm test
 * builds dist/ first), with `--json` (the machine output) unless `human` asks for the tables.
 */
export function runCli(
  ownerUrl: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; human?: boolean; /** node's own flags, before the script */ node?: string[] } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.node ?? []), CLI, ...args, ...(options.human ? [] : ['--json'])], {
      env: { PATH: process.env.PATH, DATABASE_URL: ownerUrl, LOG_LEVEL: 'error', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: any;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
