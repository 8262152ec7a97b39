import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, runInProcess } from './cli.test-util.js';
import { LOCK_FILE, lockRunDir, processAlive, releaseRunLocks } from './run-lock.js';

let root: string;
const started: ChildProcess[] = [];
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-wrapper-'));
});
afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await fs.rm(root, { recursive: true, force: true });
});

async function waitFor<T>(get: () => Promise<T | null>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the tnzip wrapper and run-directory locks (real processes)', () => {
  it('a SIGKILLed wrapper takes its trainer with it; a live run cannot be resumed twice', async () => {
    const out = path.join(root, 'runs');
    // bin/tnzip.mjs, as a user runs it; 300 ms per step keeps the trainer busy for minutes.
    const wrapper = spawn(
      process.execPath,
      [
        path.join(APP, 'bin', 'tnzip.mjs'),
        'train',
        '--model',
        'lenet300',
        '--limit-train',
        '640',
        '--limit-test',
        '50',
        '--epochs',
        '50',
        '--no-latency',
        '--out',
        out,
      ],
      { cwd: root, env: { ...process.env, TNZIP_STEP_DELAY_MS: '300' }, stdio: 'ignore' },
    );
    started.push(wrapper);
    // The run directory's lock names the trainer (the wrapper's child).
    const [runDir, pid] = await waitFor(async () => {
      const runs = await fs.readdir(out).catch(() => [] as string[]);
      if (runs[0] === undefined) return null;
      const dir = path.join(out, runs[0]);
      const text = await fs.readFile(path.join(dir, LOCK_FILE), 'utf8').catch(() => null);
      return text === null ? null : ([dir, (JSON.parse(text) as { pid: number }).pid] as const);
    }, 120_000);
    expect(pid).not.toBe(wrapper.pid);
    expect(processAlive(pid)).toBe(true);

    // A second writer is refused while the trainer lives.
    const second = await runInProcess(['train', '--resume', runDir]);
    expect(second.code, second.stderr).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`tnzip: error: run directory '.*' is in use by process ${pid}`));

    wrapper.kill('SIGKILL');
    await waitFor(async () => (processAlive(pid) ? null : true), 10_000);
    // Its stale lock does not block the next run: the lock is taken over.
    await lockRunDir(runDir);
    expect(JSON.parse(await fs.readFile(path.join(runDir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    releaseRunLocks();
    await expect(fs.access(path.join(runDir, LOCK_FILE))).rejects.toThrow();
  }, 180_000);

  it('lockRunDir: a live owner blocks, a dead one is stale, an unreadable lock is replaced', async () => {
    const dir = path.join(root, 'locks');
    await fs.mkdir(dir);
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    started.push(sleeper);
    const lock = path.join(dir, LOCK_FILE);
    await fs.writeFile(lock, JSON.stringify({ pid: sleeper.pid, host: os.hostname(), createdAt: 'x' }));
    await expect(lockRunDir(dir)).rejects.toThrow(/in use by process \d+/);
    sleeper.kill('SIGKILL');
    await waitFor(async () => (sleeper.exitCode !== null || sleeper.signalCode !== null ? true : null), 5000);
    await lockRunDir(dir);
    releaseRunLocks();
    await fs.writeFile(lock, 'garbage');
    await lockRunDir(dir);
    releaseRunLocks();
    await expect(fs.access(lock)).rejects.toThrow();
  });
});
