import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm start` / `npm run cli` / `npm run smoke` build first only when dist/ is stale. The script runs
 * against a scratch checkout whose `nest build` is a stand-in that counts its runs and writes
 * dist/src/main.js, so the real dist/ of the tests is never touched.
 */
describe('scripts/build-if-stale.mjs', () => {
  let root: string;
  const builds = () => readFileSync(path.join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
  const run = () => spawnSync(process.execPath, [path.resolve('scripts/build-if-stale.mjs')], { env: { PATH: process.env.PATH, BUILD_ROOT: root }, encoding: 'utf8' });
  /** Sets a file's modification time `seconds` from now. */
  const age = (file: string, seconds: number) => {
    const time = new Date(Date.now() + seconds * 1000);
    utimesSync(path.join(root, file), time, time);
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'fraudguard-build-'));
    mkdirSync(path.join(root, 'node_modules/.bin'), { recursive: true });
    mkdirSync(path.join(root, 'src/admin'), { recursive: true });
    mkdirSync(path.join(root, 'migrations'));
    writeFileSync(path.join(root, 'builds.log'), '');
    writeFileSync(
      path.join(root, 'node_modules/.bin/nest'),
      `#!/bin/sh\n[ -f "${root}/fail" ] && { echo "compile error" >&2; exit 3; }\necho build >> "${root}/builds.log"\nmkdir -p "${root}/dist/src"\necho built > "${root}/dist/src/main.js"\necho "compiled"\n`,
    );
    chmodSync(path.join(root, 'node_modules/.bin/nest'), 0o755);
    for (const file of ['src/main.ts', 'src/admin/cli.ts', 'migrations/index.ts', 'tsconfig.json', 'package-lock.json']) {
      writeFileSync(path.join(root, file), '');
      age(file, -3600);
    }
    age('src/admin', -3600);
    age('src', -3600);
    age('migrations', -3600);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** An edit after the last build: `file` changed 30 s ago, the build is a minute old. */
  const editedAfterBuild = (file: string) => {
    for (const input of ['src', 'src/admin', 'src/main.ts', 'migrations', 'migrations/index.ts', 'tsconfig.json', 'package-lock.json']) age(input, -3600);
    age('dist/src/main.js', -60);
    age(file, -30);
  };

  it('builds when dist/ is missing, then not again until a source, a deleted file or the lock file is newer', () => {
    const first = run();
    expect({ status: first.status, stdout: first.stdout, builds: builds() }).toEqual({ status: 0, stdout: '', builds: 1 });
    expect(first.stderr).toMatch(/^Building dist\/ \(first run\)…\ncompiled\n$/); // the compiler's output on stderr: stdout is the command's

    expect({ ...run(), builds: builds() }).toMatchObject({ status: 0, stdout: '', stderr: '', builds: 1 });

    editedAfterBuild('src/admin/cli.ts');
    expect(run()).toMatchObject({ status: 0, stderr: expect.stringMatching(/^Rebuilding dist\/ \(src changed since the last build\)…/) });
    expect(builds()).toBe(2);
    expect({ ...run(), builds: builds() }).toMatchObject({ stderr: '', builds: 2 });

    rmSync(path.join(root, 'src/admin/cli.ts'));
    editedAfterBuild('src/admin');
    expect({ ...run(), builds: builds() }).toMatchObject({ status: 0, builds: 3 });

    editedAfterBuild('package-lock.json');
    expect(run().stderr).toMatch(/package-lock\.json changed/);
    expect(builds()).toBe(4);
  });

  it("fails with the compiler's exit code when the build fails", () => {
    editedAfterBuild('migrations/index.ts');
    writeFileSync(path.join(root, 'fail'), '');
    const failed = run();
    expect({ status: failed.status, stdout: failed.stdout }).toEqual({ status: 3, stdout: '' });
    expect(failed.stderr).toMatch(/migrations changed since the last build\)…\ncompile error\n/);
  });
});
