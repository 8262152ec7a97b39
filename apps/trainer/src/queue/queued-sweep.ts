import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { type FlagSpec, type FlagValues, int, str } from '../args.js';
import type { SweepConfig } from '../commands/sweep.js';
import { type CellSpec, cellIdentity, type SweepCell } from '../sweep-cell.js';
import { CELL_JOB_SCHEMA, type CellJobData, TNZIP_VERSION } from './cell-job.js';
import { runQueuedCells } from './cell-queue.js';
import { checkRedis } from './connect.js';
import { progressLine } from './queue-progress.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';

/** The queue flags of `tnzip sweep`. */
export const SWEEP_QUEUE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  queue: {
    type: 'string',
    value: 'redis://[:PW@]HOST:PORT[/DB]',
    help: "queue the cells on Redis for 'tnzip worker's (any machines sharing the run directory) and wait",
  },
  attempts: {
    type: 'string',
    value: 'N',
    help: 'with --queue: tries per cell before it is recorded as failed, in [1, 10] (default 2)',
  },
};

/** The sweep's `--queue` target, checked (reachable, password accepted) before any work; null without --queue. */
export async function queueTarget(values: FlagValues): Promise<RedisTarget | null> {
  const url = str(values, 'queue');
  int(values, 'attempts', 1, 10);
  if (url === undefined) return null;
  const target = parseRedisUrl(url);
  await checkRedis(target);
  return target;
}

/** `argv` with a `--queue` URL's password replaced by `***` (config.json and sweep.md record argv). */
export function redactQueueArgv(argv: readonly string[]): string[] {
  return argv.map((a) => a.replace(/(redis:\/\/[^:/@]*:)[^@]*@/, '$1***@'));
}

/** Options of {@link runSweepOnQueue}. */
export interface SweepOnQueueOptions {
  readonly target: RedisTarget;
  readonly attempts: number;
  /** Absolute run directory, and the run's config.createdAt: together they name the run's jobs. */
  readonly runDir: string;
  readonly createdAt: string;
  readonly backend: string;
  /** The cells still to do, with their sweep.jsonl keys. */
  readonly cells: readonly { readonly key: string; readonly spec: CellSpec }[];
  /** Called once per finished cell (a worker's line, or a failed line after the last attempt). */
  readonly onCell: (cell: SweepCell) => Promise<void>;
  readonly say: (line: string) => void;
}

/** `spec` with its paths absolute: a worker runs in another directory (on another machine). */
function absolutePaths(spec: CellSpec): CellSpec {
  const abs = (p: string | null): string | null => (p === null ? null : path.resolve(p));
  return {
    ...spec,
    runDir: path.resolve(spec.runDir),
    parentsDir: path.resolve(spec.parentsDir),
    denseFrom: abs(spec.denseFrom),
  };
}

/**
 * `config` with its data directories absolute, applied before a queue sweep writes or reads its
 * parents: a worker runs elsewhere, and the parent's name hashes its training config (data
 * directory included), so the sweep and its workers must name the same one.
 */
export function absoluteDataDirs(config: SweepConfig): SweepConfig {
  const abs = (p: string | null): string | null => (p === null ? null : path.resolve(p));
  return {
    ...config,
    dense: config.dense.map((d) => ({ ...d, dataDir: abs(d.dataDir) })),
    finetune: config.finetune.map((d) => ({ ...d, dataDir: abs(d.dataDir) })),
  };
}

/** The failed line of a cell that no attempt finished. */
function failedCell(spec: CellSpec, error: string, attempts: number): SweepCell {
  return {
    ...cellIdentity(spec),
    status: 'failed',
    error: `queue: failed after ${attempts} attempt(s): ${error}`,
    denseAcc: Number.NaN,
    finishedAt: new Date().toISOString(),
  };
}

/**
 * Queues the cells (one BullMQ job each, id = run + cell key: a cell queued or finished before,
 * e.g. by the interrupted sweep that `--resume` continues, is not queued again) and waits, showing
 * done / running / failed per worker, handing each finished cell to `onCell`.
 */
export async function runSweepOnQueue(opts: SweepOnQueueOptions): Promise<void> {
  const runDir = path.resolve(opts.runDir);
  const hash = createHash('sha256').update(`${runDir}\n${opts.createdAt}`).digest('hex').slice(0, 10);
  const run = `${path.basename(runDir)}-${hash}`;
  const specs = new Map(opts.cells.map((c) => [c.key, c.spec]));
  const jobs: CellJobData[] = opts.cells.map(({ key, spec }) => ({
    schema: CELL_JOB_SCHEMA,
    tnzip: TNZIP_VERSION,
    run,
    key,
    runDir,
    artifacts: path.resolve(spec.parentsDir),
    backend: opts.backend,
    spec: absolutePaths(spec),
  }));
  opts.say(
    `sweep: ${jobs.length} cell(s) on ${opts.target.display} (run ${run}); start workers with 'tnzip worker --queue URL'`,
  );
  await runQueuedCells({
    target: opts.target,
    jobs,
    attempts: opts.attempts,
    onOutcome: (o) =>
      opts.onCell(o.ok ? (o.value as SweepCell) : failedCell(specs.get(o.key) as CellSpec, o.error, o.attempts)),
    onProgress: (states) => opts.say(progressLine(states)),
    say: opts.say,
  });
}
