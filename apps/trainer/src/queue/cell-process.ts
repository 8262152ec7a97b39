/**
 * Entry of the process that runs ONE queued cell for `tnzip worker` (argv: the runner module's
 * URL). It receives the job data over IPC, runs the runner's `runCellJob(data)` and sends back
 * `{ ok: true, value }` or `{ ok: false, error }`. tfjs may hold this process' CPU for minutes; the
 * worker process that started it stays idle, so BullMQ keeps renewing the job's lock there. The
 * process ends with the worker, even when the worker is SIGKILLed (IPC disconnect).
 */
import { exitWithParent } from '../parent-watch.js';
import type { CellJobData } from './cell-job.js';

/** What a cell runner module exports. */
export interface CellRunnerModule {
  readonly runCellJob: (data: CellJobData) => Promise<unknown>;
}

exitWithParent();
const runnerUrl = process.argv[2];
process.once('message', (data: CellJobData) => {
  void (async () => {
    try {
      if (runnerUrl === undefined) throw new Error('cell process: no runner module given');
      const runner = (await import(runnerUrl)) as CellRunnerModule;
      const value = await runner.runCellJob(data);
      process.send?.({ ok: true, value }, () => process.exit(0));
    } catch (e) {
      const error = e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
      process.send?.({ ok: false, error }, () => process.exit(0));
    }
  })();
});
