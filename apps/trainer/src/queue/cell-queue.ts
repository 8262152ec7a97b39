import { Job, Queue } from 'bullmq';
import { CELL_QUEUE, type CellJobData, cellJobId } from './cell-job.js';
import { connectionOptions } from './connect.js';
import type { CellState } from './queue-progress.js';
import type { RedisTarget } from './redis-url.js';

/** How a queued cell ended: its runner's result, or the reason of its last failed attempt. */
export type CellOutcome =
  | { readonly key: string; readonly ok: true; readonly value: unknown; readonly worker?: string }
  | { readonly key: string; readonly ok: false; readonly error: string; readonly attempts: number };

/** Options of {@link runQueuedCells}. */
export interface QueuedCellsOptions {
  readonly target: RedisTarget;
  readonly jobs: readonly CellJobData[];
  /** Tries per cell before it is recorded as failed (a worker death counts once it stalls twice). */
  readonly attempts: number;
  /** Called once per cell as it ends, in finishing order. */
  readonly onOutcome: (o: CellOutcome) => Promise<void>;
  /** Progress lines: the state summary when it changes, and Redis outages. */
  readonly onProgress: (states: readonly CellState[]) => void;
  readonly say: (line: string) => void;
  readonly pollMs?: number;
}

const STATE: Readonly<Record<string, CellState['state']>> = {
  completed: 'done',
  failed: 'failed',
  active: 'running',
};

function addOptions(job: CellJobData, attempts: number) {
  return {
    name: job.key,
    data: job,
    opts: {
      jobId: cellJobId(job.run, job.key),
      attempts,
      backoff: { type: 'fixed' as const, delay: 1000 },
      // Results stay until the sweep has read them; BullMQ's default keeps them too.
      removeOnComplete: false,
      removeOnFail: false,
    },
  };
}

/**
 * Queues every job (idempotently: the job id is the cell's, so a cell already queued, running or
 * finished is not queued again — a resumed or restarted sweep just waits for it) and waits until
 * each has completed or failed for good, reporting each outcome once. Polls job states, so a Redis
 * restart only pauses the wait; a job that vanished (Redis lost its data) is queued again.
 */
export async function runQueuedCells(opts: QueuedCellsOptions): Promise<void> {
  const queue = new Queue(CELL_QUEUE, { connection: connectionOptions(opts.target) });
  let outage = '';
  queue.on('error', (e) => {
    if (outage === '') opts.say(`sweep: Redis: ${e.message} (reconnecting)`);
    outage = e.message;
  });
  try {
    await queue.addBulk(opts.jobs.map((j) => addOptions(j, opts.attempts)));
    const pending = new Map(opts.jobs.map((j) => [cellJobId(j.run, j.key), j]));
    const states = new Map<string, CellState>(opts.jobs.map((j) => [j.key, { key: j.key, state: 'waiting' }]));
    let shown = '';
    while (pending.size > 0) {
      try {
        for (const [id, data] of pending) {
          const job = await Job.fromId(queue, id);
          if (job === undefined) {
            const again = addOptions(data, opts.attempts);
            await queue.add(again.name, again.data, again.opts);
            continue;
          }
          const st = STATE[await job.getState()] ?? 'waiting';
          states.set(data.key, { key: data.key, state: st, ...(job.processedBy ? { worker: job.processedBy } : {}) });
          if (st === 'done' && (job.returnvalue === null || job.returnvalue === undefined)) {
            // Completed without its result (seen once across a Redis restart): run the cell again
            // rather than report a cell with no line.
            await job.remove();
            const again = addOptions(data, opts.attempts);
            await queue.add(again.name, again.data, again.opts);
            opts.say(`sweep: ${data.key} completed without a result (Redis restarted?); queued again`);
            continue;
          }
          if (st === 'done' || st === 'failed') {
            await opts.onOutcome(
              st === 'done'
                ? {
                    key: data.key,
                    ok: true,
                    value: job.returnvalue,
                    ...(job.processedBy ? { worker: job.processedBy } : {}),
                  }
                : { key: data.key, ok: false, error: job.failedReason, attempts: job.attemptsMade },
            );
            pending.delete(id); // after the outcome is handed on: a throw above keeps the cell pending
          }
        }
        if (outage !== '') opts.say('sweep: Redis connection back');
        outage = '';
      } catch (e) {
        if (outage === '') opts.say(`sweep: Redis: ${(e as Error).message} (retrying)`);
        outage = (e as Error).message;
      }
      const line = JSON.stringify([...states.values()]);
      if (line !== shown) opts.onProgress([...states.values()]);
      shown = line;
      if (pending.size > 0) await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
  } finally {
    await queue.close();
  }
}
