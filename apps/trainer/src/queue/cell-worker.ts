import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Job, WaitingError, Worker } from 'bullmq';
import { CELL_QUEUE, type CellJobData, checkCellJob } from './cell-job.js';
import { connectionOptions } from './connect.js';
import type { RedisTarget } from './redis-url.js';

/** Options of {@link startCellWorker}. */
export interface CellWorkerOptions {
  readonly target: RedisTarget;
  /** URL of the module whose `runCellJob(data)` runs a cell (in a child process). */
  readonly runner: string;
  /** Cells run at once (each in its own process), >= 1. */
  readonly concurrency: number;
  /** Shown in progress as the worker running a cell (BullMQ `processedBy`). */
  readonly name: string;
  /** Lock time of a taken job, ms: a SIGKILLed worker's cell is taken again after about this long. */
  readonly lockMs: number;
  /** Progress lines (stderr). */
  readonly say: (line: string) => void;
  /** Maps the job before it runs (the worker command fills in a local artifacts directory). */
  readonly prepare?: (data: CellJobData) => CellJobData;
}

/** A running worker. `finished` settles when it closes: rejected with the reason it stopped itself. */
export interface CellWorker {
  readonly finished: Promise<void>;
  close(): Promise<void>;
}

const CELL_PROCESS = fileURLToPath(new URL('./cell-process.ts', import.meta.url));

/** Runs `data` in a fresh Node process (tsx + the source condition, as `tnzip` itself runs). */
function runInChild(runner: string, data: CellJobData): Promise<unknown> {
  const child = spawn(
    process.execPath,
    ['--conditions=@tnzip/source', '--import', import.meta.resolve('tsx'), CELL_PROCESS, runner],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  return new Promise((resolve, reject) => {
    let answered = false;
    child.once('message', (m: { ok: boolean; value?: unknown; error?: string }) => {
      answered = true;
      if (m.ok) resolve(m.value);
      else reject(new Error(m.error ?? 'cell failed'));
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!answered) reject(new Error(`cell process ended without a result (exit ${signal ?? code})`));
    });
    child.send(data);
  });
}

/**
 * Starts a BullMQ worker on the cell queue. Each job runs in its own child process, so tfjs never
 * blocks the event loop that renews the job's lock (the same reason BullMQ offers sandboxed
 * processors; a plain child lets the worker check the job's schema first and refuse it without
 * consuming an attempt). A job of another schema version is moved back to `wait` untouched and the
 * worker stops, its `finished` rejecting with that error.
 */
export function startCellWorker(opts: CellWorkerOptions): CellWorker {
  let refusal: unknown = null;
  let lastError = '';
  const worker: Worker = new Worker(
    CELL_QUEUE,
    async (job: Job, token?: string) => {
      let data: CellJobData;
      try {
        data = checkCellJob(job.id ?? '?', job.data);
      } catch (e) {
        refusal = e;
        void worker.close();
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const prepared = opts.prepare === undefined ? data : opts.prepare(data);
      opts.say(`worker ${opts.name}: running ${data.key} (run ${data.run}, attempt ${job.attemptsMade + 1})`);
      const t0 = performance.now();
      const value = await runInChild(opts.runner, prepared);
      opts.say(`worker ${opts.name}: finished ${data.key} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return value;
    },
    {
      connection: connectionOptions(opts.target),
      concurrency: opts.concurrency,
      name: opts.name,
      lockDuration: opts.lockMs,
      stalledInterval: Math.max(1000, Math.round(opts.lockMs / 2)),
      // A cell whose worker died twice is retried by attempts, not failed as stalled at once.
      maxStalledCount: 2,
    },
  );
  worker.on('error', (e) => {
    const msg = `worker ${opts.name}: Redis: ${e.message} (reconnecting)`;
    if (msg !== lastError) opts.say(msg);
    lastError = msg;
  });
  worker.on('ready', () => {
    if (lastError !== '') opts.say(`worker ${opts.name}: Redis connection back`);
    lastError = '';
  });
  worker.on('failed', (job, e) => {
    if (job !== undefined && !(e instanceof WaitingError) && e.name !== 'WaitingError')
      opts.say(`worker ${opts.name}: ${String((job.data as CellJobData).key)} failed: ${e.message}`);
  });
  const finished = new Promise<void>((resolve, reject) => {
    worker.once('closed', () => (refusal === null ? resolve() : reject(refusal)));
  });
  return { finished, close: () => worker.close() };
}
