import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../cli.test-util.js';
import { CELL_JOB_SCHEMA, CELL_QUEUE, type CellJobData, cellJobId, TNZIP_VERSION } from './cell-job.js';
import { type CellOutcome, runQueuedCells } from './cell-queue.js';
import { startCellWorker } from './cell-worker.js';
import { connectionOptions } from './connect.js';
import { startRedis, type TestRedis } from './redis-server.test-util.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';

const BUSY_RUNNER = new URL('./fixtures/busy-runner.ts', import.meta.url).href;

function job(run: string, key: string, spec: object): CellJobData {
  return {
    schema: CELL_JOB_SCHEMA,
    tnzip: TNZIP_VERSION,
    run,
    key,
    runDir: '/tmp',
    artifacts: '/tmp',
    backend: 'cpu',
    spec,
  };
}

async function runAll(target: RedisTarget, jobs: CellJobData[], attempts = 2): Promise<CellOutcome[]> {
  const out: CellOutcome[] = [];
  await runQueuedCells({
    target,
    jobs,
    attempts,
    onOutcome: async (o) => {
      out.push(o);
    },
    onProgress: () => {},
    say: () => {},
    pollMs: 200,
  });
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

describe('queue worker on a real redis-server', () => {
  let redis: TestRedis;
  let target: RedisTarget;
  let queue: Queue;
  beforeAll(async () => {
    redis = await startRedis();
    target = parseRedisUrl(redis.url);
    queue = new Queue(CELL_QUEUE, { connection: connectionOptions(target) });
  });
  afterAll(async () => {
    await queue.close();
    await redis.stop();
  });

  it('a worker busy on the CPU far past the lock time keeps its job (no stall), and a failing cell fails after N attempts', async () => {
    const lines: string[] = [];
    const worker = startCellWorker({
      target,
      runner: BUSY_RUNNER,
      concurrency: 1,
      name: 'w1',
      lockMs: 1000,
      say: (l) => lines.push(l),
    });
    try {
      const out = await runAll(target, [job('r1', 'busy', { busyMs: 4000 }), job('r1', 'bad', { fail: true })], 3);
      expect(out[0]).toMatchObject({ key: 'bad', ok: false, attempts: 3 });
      expect((out[0] as { error: string }).error).toMatch(/deterministic failure of bad/);
      expect(out[1]).toMatchObject({ key: 'busy', ok: true, worker: 'w1', value: { key: 'busy' } });
      const busy = await Job.fromId(queue, cellJobId('r1', 'busy'));
      expect(busy?.attemptsStarted).toBe(1);
      expect(busy?.stalledCounter).toBe(0);
    } finally {
      await worker.close();
    }
  });

  it('enqueue is idempotent: a finished cell is not run again, its stored result is returned', async () => {
    const worker = startCellWorker({
      target,
      runner: BUSY_RUNNER,
      concurrency: 2,
      name: 'w2',
      lockMs: 5000,
      say: () => {},
      // What `tnzip worker --artifacts DIR` does: this machine sees the shared directory elsewhere.
      prepare: (d) => ({ ...d, artifacts: '/mnt/shared/parents' }),
    });
    try {
      const jobs = [job('r2', 'a', {}), job('r2', 'b', {})];
      const first = await runAll(target, jobs);
      const again = await runAll(target, [...jobs, job('r2', 'c', {})]);
      expect(again.slice(0, 2)).toEqual(first);
      for (const k of ['a', 'b']) expect((await Job.fromId(queue, cellJobId('r2', k)))?.attemptsStarted).toBe(1);
      expect(again[2]).toMatchObject({ key: 'c', ok: true, value: { artifacts: '/mnt/shared/parents' } });
    } finally {
      await worker.close();
    }
  });

  it('a worker refuses a job of another schema version: one error line, exit 3, the job stays queued', async () => {
    const id = cellJobId('r3', 'future');
    await queue.add(
      'future',
      { ...job('r3', 'future', {}), schema: CELL_JOB_SCHEMA + 1, tnzip: '9.0.0' },
      { jobId: id, attempts: 1 },
    );
    const r = await spawnCli(['worker', '--queue', redis.url], { cwd: redis.dir }).done;
    expect(r.code).toBe(3);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('tnzip: error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(`job schema v${CELL_JOB_SCHEMA + 1} \\(queued by tnzip 9\\.0\\.0\\).*reads v${CELL_JOB_SCHEMA}`),
    );
    const left = await Job.fromId(queue, id);
    expect(await left?.getState()).toBe('waiting');
    expect(left?.attemptsMade).toBe(0);
    await left?.remove();
  });
});
