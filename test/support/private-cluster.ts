import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PrivateCluster {
  /** Superuser URL of the cluster's `postgres` database (trust auth on loopback, unless a password was asked for). */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The newest PostgreSQL server binaries Debian installed (/usr/lib/postgresql/<major>/bin). */
export function systemPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((name) => existsSync(path.join(root, name, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return majors.length ? path.join(root, majors[0], 'bin') : undefined;
}

/**
 * A throwaway PostgreSQL cluster of its own, for tests that stop and start the server (the shared
 * one must not be disturbed). Uses the machine's PostgreSQL binaries — run as the `postgres` system
 * user when we are root — in a world-traversable temp folder, so it works wherever the checkout is.
 * With `superuserPassword`, TCP logins are checked (scram-sha-256) as on a production server, and
 * the URL carries that password.
 */
export async function startPrivateCluster(bin: string, options: { superuserPassword?: string } = {}): Promise<PrivateCluster> {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'fraudguard-cluster-'));
  chmodSync(parent, 0o755);
  const data = path.join(parent, 'data');
  mkdirSync(data, { mode: 0o700 });
  const root = process.getuid?.() === 0;
  if (root) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(parent, Number(stdout.trim()), gid); // socket and log live here
    chownSync(data, Number(stdout.trim()), gid);
  }
  const as = (tool: string, args: string[]) =>
    root ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]) : run(path.join(bin, tool), args);
  const port = await freePort();
  const auth = ['--auth=trust'];
  if (options.superuserPassword !== undefined) {
    const pwfile = path.join(parent, 'superuser-password');
    writeFileSync(pwfile, `${options.superuserPassword}\n`, { mode: 0o644 });
    auth.splice(0, 1, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
  }
  await as('initdb', ['-D', data, '-U', 'postgres', ...auth, '-E', 'UTF8', '--no-sync']);
  const serverOptions = `-p ${port} -k ${parent} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    await as('pg_ctl', ['-D', data, '-o', serverOptions, '-l', path.join(parent, 'server.log'), '-w', '-t', '30', 'start']);
  };
  const stop = async () => {
    await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  };
  await start();
  return {
    url: `postgres://postgres${options.superuserPassword !== undefined ? `:${encodeURIComponent(options.superuserPassword)}` : ''}@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => undefined);
      rmSync(parent, { recursive: true, force: true });
    },
  };
}
