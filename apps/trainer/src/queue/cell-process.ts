/**
 * Entry of a process that runs queued cells for `tnzip worker`, one at a time (argv: the runner
 * module's URL). It receives `{ id, data }` over IPC, runs the runner's `runCellJob(data)` and
 * answers `{ id, ok: true, value }` or `{ id, ok: false, error }`, then waits for the next cell: the
 * start-up (tsx, tfjs, backend, dataset) is paid once per process, not once per cell. tfjs may hold
 * this process' CPU for minutes; the worker process that started it stays idle, so BullMQ keeps
 * renewing the job's lock there. The process ends with the worker, even when the worker is
 * SIGKILLed (IPC disconnect).
 */
import { exitWithParent } from '../parent-watch.js';
import type { CellJobData } from './cell-job.js';

/** What a cell runner module exports. */
export interface CellRunnerModule {
  readonly runCellJob: (data: CellJobData) => Promise<unknown>;
}

/** A request to the cell process and its answer. */
export interface CellRequest {
  readonly id: number;
  readonly data: CellJobData;
}
export type CellAnswer =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

// A worker killed before this process started leaves no channel: nothing to do.
if (process.channel == null) process.exit(0);
exitWithParent();
// exitWithParent unrefs the channel (a one-shot child may end on its own); this process lives to
// take the next cell, until the worker disconnects.
process.channel?.ref();
const runnerUrl = process.argv[2];
const runner: Promise<CellRunnerModule> =
  runnerUrl === undefined
    ? Promise.reject(new Error('cell process: no runner module given'))
    : (import(runnerUrl) as Promise<CellRunnerModule>);
runner.catch(() => {}); // reported with the first cell

process.on('message', (req: CellRequest) => {
  void (async () => {
    let answer: CellAnswer;
    try {
      answer = { id: req.id, ok: true, value: await (await runner).runCellJob(req.data) };
    } catch (e) {
      const error = e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
      answer = { id: req.id, ok: false, error };
    }
    process.send?.(answer);
  })();
});
