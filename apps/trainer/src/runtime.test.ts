import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCommit } from './runtime.js';

describe('readCommit', () => {
  let dir: string;
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir })
      .toString()
      .trim();
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-commit-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('gives the checkout’s HEAD, -dirty with uncommitted tracked changes, null outside a checkout', async () => {
    expect(readCommit(dir)).toBeNull();
    git('init', '-q');
    await fs.writeFile(path.join(dir, 'a.txt'), '1');
    git('add', 'a.txt');
    git('commit', '-qm', 'first');
    const first = git('rev-parse', 'HEAD');
    expect(readCommit(dir)).toBe(first);
    await fs.writeFile(path.join(dir, 'untracked.txt'), 'x'); // untracked files are not code that runs
    expect(readCommit(dir)).toBe(first);
    await fs.writeFile(path.join(dir, 'a.txt'), '2');
    expect(readCommit(dir)).toBe(`${first}-dirty`);
    git('commit', '-qam', 'second');
    expect(readCommit(dir)).toBe(git('rev-parse', 'HEAD'));
    expect(readCommit(dir)).not.toBe(first);
  });
});
