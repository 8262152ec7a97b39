import * as os from 'node:os';
import * as path from 'node:path';
import { COMMON_FLAGS, type FlagSpec, formatHelp, int, str } from '../args.js';
import { UsageError } from '../exit-codes.js';
import { TNZIP_VERSION } from '../queue/cell-job.js';
import { startCellWorker } from '../queue/cell-worker.js';
import { checkRedis } from '../queue/connect.js';
import { parseRedisUrl } from '../queue/redis-url.js';
import type { CommandContext } from './context.js';

/** Flags of `tnzip worker`. */
export const WORKER_FLAGS: Readonly<Record<string, FlagSpec>> = {
  queue: { type: 'string', value: 'redis://[:PW@]HOST:PORT[/DB]', help: 'the Redis of the sweep queue (required)' },
  concurrency: {
    type: 'string',
    value: 'N',
    help: 'cells run at once, each in its own process, in [1, 64] (default 1)',
  },
  artifacts: {
    type: 'string',
    value: 'DIR',
    help: "where this machine sees the shared artifacts directory (default: the path in each job, the sweep's)",
  },
  ...COMMON_FLAGS,
};

/** `tnzip worker --help`. */
export const WORKER_HELP = formatHelp(
  'tnzip worker --queue redis://HOST:PORT[/DB] [--concurrency 1] [--artifacts DIR]',
  "Takes sweep cells queued by 'tnzip sweep --queue' on the same Redis and runs each with the compression\n" +
    'pipeline in its own process (the worker keeps the job lock renewed meanwhile). Dense parents are read from\n' +
    '(or trained once into) the shared artifacts directory. Runs until SIGINT/SIGTERM; a cell of a killed worker is\n' +
    'taken again by another worker once its lock expires. A job queued by a tnzip with another job schema is left\n' +
    'queued and the worker exits with an error. Set TNZIP_QUEUE_LOCK_MS to change the 30 s lock.',
  WORKER_FLAGS,
);

/** The module that runs a cell in the worker's child process. */
export const SWEEP_CELL_RUNNER = new URL('../queue/sweep-cell-runner.ts', import.meta.url).href;

function lockMs(): number {
  const n = Number(process.env.TNZIP_QUEUE_LOCK_MS ?? 30_000);
  if (!Number.isInteger(n) || n < 1000 || n > 3_600_000)
    throw new UsageError(
      `TNZIP_QUEUE_LOCK_MS must be an integer in [1000, 3600000] ms, got '${process.env.TNZIP_QUEUE_LOCK_MS}'`,
    );
  return n;
}

/** `tnzip worker`. */
export async function workerCommand(ctx: CommandContext, runner = SWEEP_CELL_RUNNER): Promise<number> {
  const url = str(ctx.values, 'queue');
  if (url === undefined) throw new UsageError('--queue is required, e.g. --queue redis://127.0.0.1:6379');
  const target = parseRedisUrl(url);
  const concurrency = int(ctx.values, 'concurrency', 1, 64) ?? 1;
  const artifacts = str(ctx.values, 'artifacts');
  const lock = lockMs();
  await checkRedis(target);
  const name = `${os.hostname()}:${process.pid}`;
  const say = ctx.progress.note;
  say(
    `tnzip worker ${name} (tnzip ${TNZIP_VERSION}): ${target.display}, concurrency ${concurrency}, lock ${lock / 1000} s`,
  );
  const worker = startCellWorker({
    target,
    runner,
    concurrency,
    name,
    lockMs: lock,
    say,
    ...(artifacts === undefined ? {} : { prepare: (d) => ({ ...d, artifacts: path.resolve(artifacts) }) }),
  });
  let signals = 0;
  // First signal: take no new cell, finish the running one. Second: stop now; the cell processes end
  // with this one and their cells are taken again by other workers once their locks expire.
  const stop = (): void => {
    if (signals++ > 0) process.exit(130);
    say(`worker ${name}: finishing the running cell(s), then stopping (signal again to stop now)`);
    void worker.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await worker.finished;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
