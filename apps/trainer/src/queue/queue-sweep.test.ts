import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, runInProcess } from '../cli.test-util.js';
import type { SweepCell } from '../sweep-cell.js';
import { CELL_QUEUE } from './cell-job.js';
import { connectionOptions } from './connect.js';
import { startRedis, type TestRedis } from './redis-server.test-util.js';
import { parseRedisUrl } from './redis-url.js';

// 6 small cells: LeNet-300-100, 300 training / 200 test images, 1 dense and 1 fine-tuning epoch.
const SWEEP = [
  'sweep',
  '--model',
  'lenet300',
  '--methods',
  'greedy,uniform,energy',
  '--budgets',
  '2x,4x',
  '--epochs',
  '1',
  '--finetune-epochs',
  '1',
  '--limit-train',
  '300',
  '--limit-test',
  '200',
  '--json',
];

async function cellsOf(runDir: string): Promise<SweepCell[]> {
  const text = await fs.readFile(path.join(runDir, 'sweep.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SweepCell);
}

/** `tnzip args` as a child process whose output the test reads as it comes. */
interface Running {
  readonly proc: ChildProcess;
  readonly out: { stdout: string; stderr: string };
  readonly exit: Promise<number | null>;
}

function start(args: readonly string[], cwd: string, env: Record<string, string>): Running {
  const proc = spawn(process.execPath, cliCommand(args), {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  proc.stdout?.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, out, exit };
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const keyOf = (c: SweepCell): string => `${c.model}|${c.dataset}|${c.seed}|${c.method}|${c.budget}`;

describe('tnzip sweep --queue with 3 tnzip workers on a real redis-server', () => {
  let redis: TestRedis;
  let root: string;
  const procs: Running[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tnzip-queue-sweep-'));
  });
  afterAll(async () => {
    for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await redis.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('a SIGKILLed worker and a Redis restart lose nothing: every cell once, with the local sweep accuracies', async () => {
    const local = await runInProcess([...SWEEP, '--out', path.join(root, 'local')]);
    expect(local.code, local.stderr).toBe(0);
    const localCells = await cellsOf((JSON.parse(local.stdout) as { runDir: string }).runDir);
    expect(localCells).toHaveLength(6);

    // A short lock, so that the killed worker's cell is taken again within seconds.
    const env = { TNZIP_QUEUE_LOCK_MS: '4000' };
    const sweep = start([...SWEEP, '--out', path.join(root, 'queued'), '--queue', redis.url], root, env);
    procs.push(sweep);
    const workers = [0, 1, 2].map(() => start(['worker', '--queue', redis.url], root, env));
    procs.push(...workers);

    // Kill the first worker that holds a cell, while it holds it (it trains the shared dense parent).
    await until('a worker to take a cell', () => workers.some((w) => /running \S+/.test(w.out.stderr)), 240_000);
    const victim = workers.find((w) => /running \S+/.test(w.out.stderr)) as Running;
    const killedKey = /running (\S+)/.exec(victim.out.stderr)?.[1] as string;
    victim.proc.kill('SIGKILL');
    await victim.exit;

    // Restart Redis (append-only) once cells are finishing; workers and the sweep reconnect.
    await until('two finished cells', () => /\[2\/6\]/.test(sweep.out.stderr), 300_000);
    // sweep.json (what is committed of a partial sweep, and what --resume restores from) already
    // holds the finished cells and the parent the workers trained, while cells are still running.
    const [queuedName] = await fs.readdir(path.join(root, 'queued'));
    const partial = JSON.parse(
      await fs.readFile(path.join(root, 'queued', queuedName as string, 'sweep.json'), 'utf8'),
    ) as { cells: SweepCell[]; parents: { model: string; seed: number }[] };
    expect(partial.cells.length).toBeGreaterThanOrEqual(2);
    expect(partial.parents.map((p) => [p.model, p.seed])).toEqual([['lenet300', 0]]);
    const restartAt = Date.now();
    await redis.restart();

    const code = await Promise.race([
      sweep.exit,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 400_000)),
    ]);
    expect(code, sweep.out.stderr).toBe(0);
    expect(sweep.out.stderr).toMatch(/queue: \d\/6 done, \d running, 0 failed, \d waiting \| \S+: \d done/);
    const runDir = (JSON.parse(sweep.out.stdout) as { runDir: string }).runDir;
    const cells = await cellsOf(runDir);
    expect(cells.map(keyOf)).toEqual(localCells.map(keyOf)); // each cell once, in the local order
    expect(cells.map((c) => [c.status, c.testAcc, c.params])).toEqual(
      localCells.map((c) => [c.status, c.testAcc, c.params]),
    );
    expect(await fs.readFile(path.join(runDir, 'sweep.md'), 'utf8')).toMatch(/\| lenet300 \| energy \| 4x \|/);

    // The killed worker's cell was taken again by another worker (BullMQ stalled-job detection).
    const queue = new Queue(CELL_QUEUE, { connection: connectionOptions(parseRedisUrl(redis.url)) });
    try {
      const jobs = await queue.getJobs(['completed']);
      expect(jobs).toHaveLength(6);
      // Jobs finished before the restart are still there: the append-only file kept them.
      expect(jobs.filter((j) => (j.finishedOn ?? Infinity) < restartAt).length).toBeGreaterThanOrEqual(2);
      const again = jobs.find((j) => (j.data as { key: string }).key === killedKey) as Job;
      expect(again.attemptsStarted).toBeGreaterThanOrEqual(2);
      expect(new Set(jobs.map((j) => j.processedBy)).size).toBeGreaterThanOrEqual(2);
    } finally {
      await queue.close();
    }
    for (const w of workers.filter((x) => x !== victim)) {
      w.proc.kill('SIGTERM');
      expect(await w.exit).toBe(0);
    }

    // --resume across the queue run: with no worker left, the missing lines come from the finished
    // jobs in Redis (a finished cell is never queued or run again).
    await fs.writeFile(
      path.join(runDir, 'sweep.jsonl'),
      cells
        .slice(0, 3)
        .map((c) => `${JSON.stringify(c)}\n`)
        .join(''),
    );
    const resumed = await runInProcess(['sweep', '--resume', runDir, '--queue', redis.url, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/6 cells, 3 already done/);
    expect(resumed.stderr).toMatch(/sweep: 3 cell\(s\) on redis:/);
    expect(await cellsOf(runDir)).toEqual(cells);
  }, 900_000);
});
