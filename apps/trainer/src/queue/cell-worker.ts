import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Job, WaitingError, Worker } from 'bullmq';
import { CELL_QUEUE, type CellJobData, checkCellJob } from './cell-job.js';
import type { CellAnswer, CellRequest } from './cell-process.js';
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

/**
 * Cell processes kept between jobs (one per concurrency slot at most): a process that answered is
 * reused, one that died is dropped and the next job starts a fresh one.
 */
class CellProcesses {
  private readonly idle: ChildProcess[] = [];
  private next = 0;
  constructor(private readonly runner: string) {}

  private spawnOne(): ChildProcess {
    return spawn(
      process.execPath,
      ['--conditions=@tnzip/source', '--import', import.meta.resolve('tsx'), CELL_PROCESS, this.runner],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
  }

  /** Runs `data` in an idle (or new) cell process. */
  run(data: CellJobData): Promise<unknown> {
    let child = this.idle.pop();
    while (child !== undefined && !(child.connected && child.exitCode === null && child.signalCode === null))
      child = this.idle.pop();
    child ??= this.spawnOne();
    const proc = child;
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const onMessage = (m: CellAnswer): void => {
        if (m.id !== id) return;
        cleanup();
        this.idle.push(proc);
        if (m.ok) resolve(m.value);
        else reject(new Error(m.error));
      };
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup();
        reject(new Error(`cell process ended without a result (exit ${signal ?? code})`));
      };
      const cleanup = (): void => {
        proc.off('message', onMessage);
        proc.off('exit', onExit);
      };
      proc.on('message', onMessage);
      proc.once('exit', onExit);
      proc.send({ id, data } satisfies CellRequest, (e) => {
        if (e !== null) onExit(null, e.message);
      });
    });
  }

  /** Ends the idle processes. */
  close(): void {
    for (const c of this.idle.splice(0)) c.kill('SIGTERM');
  }
}

/**
 * Starts a BullMQ worker on the cell queue. Jobs run in child processes (kept between jobs), so
 * tfjs never blocks the event loop that renews the job's lock (the reason BullMQ offers sandboxed
 * processors; our own children let the worker check the job's schema first and refuse it without
 * consuming an attempt). A job of another schema version is moved back to `wait` untouched and the
 * worker stops, its `finished` rejecting with that error.
 */
export function startCellWorker(opts: CellWorkerOptions): CellWorker {
  const processes = new CellProcesses(opts.runner);
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
      const value = await processes.run(prepared);
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
    worker.once('closed', () => {
      processes.close();
      if (refusal === null) resolve();
      else reject(refusal);
    });
  });
  return { finished, close: () => worker.close() };
}
