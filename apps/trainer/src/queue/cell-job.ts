import { createRequire } from 'node:module';
import { TnzipError } from '@tnzip/tensor';

/**
 * Version of {@link CellJobData}'s layout. Bump it whenever a field changes meaning: a worker
 * refuses (and leaves queued) any job whose `schema` differs from its own. v2: a cell may carry
 * `layers: 'all'` (`sweep --layers all`), which a v1 worker would ignore and compress the default layers.
 */
export const CELL_JOB_SCHEMA = 2;

/** The BullMQ queue every `tnzip sweep --queue` and `tnzip worker` share (per Redis database). */
export const CELL_QUEUE = 'tnzip-cells';

/** The version of this tnzip (the trainer app's package.json). */
export const TNZIP_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;

/** One queued sweep cell: everything a worker on another machine needs, as plain JSON. */
export interface CellJobData {
  readonly schema: number;
  /** tnzip version of the sweep that queued the job (shown when a worker refuses it). */
  readonly tnzip: string;
  /** The sweep's run id (its run directory's name) and the cell key within it. */
  readonly run: string;
  readonly key: string;
  /** Absolute paths on the shared file system: the sweep's run directory and the artifacts directory. */
  readonly runDir: string;
  readonly artifacts: string;
  /** The tfjs backend the sweep asked for (`wasm`, `cpu`, …): a cell runs on the same one everywhere. */
  readonly backend: string;
  /** The cell runner's own serialisable description of the cell. */
  readonly spec: unknown;
}

/**
 * The BullMQ job id of a cell: unique per (run, cell), so adding a cell that is already queued,
 * running or finished is a no-op. BullMQ forbids ':' in custom ids; '|' separates the parts.
 */
export function cellJobId(run: string, key: string): string {
  return `${run}|${key}`.replace(/:/g, '_');
}

/**
 * Checks a job's schema before a worker runs it.
 * @throws TnzipError UNSUPPORTED_VERSION naming both versions when the job was queued by a tnzip
 * whose job layout this worker does not read.
 */
export function checkCellJob(jobId: string, data: unknown): CellJobData {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Partial<CellJobData>;
  if (d.schema !== CELL_JOB_SCHEMA)
    throw new TnzipError(
      'UNSUPPORTED_VERSION',
      `queue job '${jobId}' has job schema v${String(d.schema)} (queued by tnzip ${String(d.tnzip)}) but this worker (tnzip ${TNZIP_VERSION}) reads v${CELL_JOB_SCHEMA}; run a worker of the sweep's tnzip version (the job stays queued)`,
    );
  return d as CellJobData;
}
