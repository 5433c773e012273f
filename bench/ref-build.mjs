/**
 * A git ref's build for the A/B mode: the ref checked out with `git worktree add --detach` under
 * .data/bench-ab/<ref>/, installed (`npm ci`) and built (`npm run build`) there.
 *
 * The folder stays after the run, unregistered from git, and is reused by the next A/B run of the
 * same ref: its node_modules when the ref's package-lock.json is unchanged, its dist/ too when the
 * ref still names the same commit. Each run registers a fresh worktree (so the checkout is exactly the
 * ref) and moves those two folders into it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './harness.mjs';

const STATE_FILE = '.bench-ab.json';

export function git(args, cwd = root) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function run(command, args, cwd) {
  console.log(`  ${path.relative(root, cwd)}$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
}

function readState(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, STATE_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The working tree's commit, and whether tracked files differ from it. */
export function workingTreeRevision() {
  const commit = git(['rev-parse', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  return { commit, dirty, subject: git(['log', '-1', '--format=%s', commit]) };
}

export async function prepareRefBuild(ref) {
  const commit = git(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`]);
  const base = path.join(root, '.data/bench-ab');
  const dir = path.join(base, ref.replace(/[^A-Za-z0-9._-]+/g, '_'));
  const previous = `${dir}.previous`;
  mkdirSync(base, { recursive: true });
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, previous);
  git(['worktree', 'prune']);
  git(['worktree', 'add', '--detach', dir, commit]);

  const state = readState(previous);
  const lockHash = createHash('sha256').update(readFileSync(path.join(dir, 'package-lock.json'))).digest('hex');
  const reuse = { install: false, build: false };
  if (state?.lockHash === lockHash && existsSync(path.join(previous, 'node_modules'))) {
    renameSync(path.join(previous, 'node_modules'), path.join(dir, 'node_modules'));
    reuse.install = true;
    if (state.builtCommit === commit && existsSync(path.join(previous, 'dist'))) {
      renameSync(path.join(previous, 'dist'), path.join(dir, 'dist'));
      reuse.build = true;
    }
  }
  rmSync(previous, { recursive: true, force: true });

  /** Unregisters the worktree and keeps the folder (with node_modules and dist) for the next run. */
  const release = () => {
    rmSync(path.join(dir, '.git'), { force: true });
    git(['worktree', 'prune']);
  };
  console.log(`A: ${ref} = ${commit.slice(0, 12)} in ${path.relative(root, dir)} (${reuse.install ? 'node_modules reused' : 'installing'}, ${reuse.build ? 'build reused' : 'building'})`);
  try {
    if (!reuse.install) {
      run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], dir);
      writeFileSync(path.join(dir, STATE_FILE), JSON.stringify({ ref, lockHash }));
    }
    if (!reuse.build) run('npm', ['run', 'build'], dir);
    writeFileSync(path.join(dir, STATE_FILE), JSON.stringify({ ref, lockHash, builtCommit: commit }));
  } catch (error) {
    release();
    throw error;
  }
  return { ref, dir, commit, subject: git(['log', '-1', '--format=%s', commit]), reuse, release };
}
