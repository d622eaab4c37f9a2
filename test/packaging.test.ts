/** What packaging leaves behind in a clone: `npm pack`'s tarball is not something to commit. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './helpers/cli.js';

const insideGit = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim() === 'true';

test("npm pack's tarball is ignored by git", { skip: insideGit ? false : 'not a git checkout' }, () => {
  const { version, name } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; name: string };
  const tarball = `${name}-${version}.tgz`;
  const ignored = spawnSync('git', ['check-ignore', '-q', tarball], { cwd: REPO_ROOT });
  assert.equal(ignored.status, 0, `${tarball} would show in git status`);
});
