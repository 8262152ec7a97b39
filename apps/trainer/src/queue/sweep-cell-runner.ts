/**
 * The cell runner of `tnzip worker` (run in the worker's child process, see cell-process.ts): starts
 * the sweep's backend and runs the job's {@link CellSpec} with {@link runSweepCell} — the same code
 * a local sweep runs, so a queued cell gives the same `sweep.jsonl` line. The dense parent is
 * trained once (under a lock) or reused in the artifacts directory the job names.
 */

import type { Dataset } from '@tnzip/data';
import { type DatasetRequest, loadDataset } from '../datasets.js';
import { createProgress } from '../progress.js';
import { backendChoice, startBackend } from '../runtime.js';
import { type CellSpec, runSweepCell, type SweepCell } from '../sweep-cell.js';
import type { CellJobData } from './cell-job.js';

/** Runs the queued cell `data` here; its parent comes from `data.artifacts`. */
export async function runCellJob(data: CellJobData): Promise<SweepCell> {
  if (backend !== data.backend) {
    await startBackend(backendChoice({ backend: data.backend }));
    backend = data.backend;
  }
  const spec: CellSpec = { ...(data.spec as CellSpec), parentsDir: data.artifacts };
  const progress = createProgress(process.stderr, { plainEverySeconds: 60 });
  return runSweepCell(spec, { progress, data: dataset });
}

// This process runs cell after cell: the backend and each dataset are set up once.
let backend = '';
const datasets = new Map<string, Dataset>();
function dataset(req: DatasetRequest): Dataset {
  const key = JSON.stringify([req.dataset, req.dataDir, req.limitTrain, req.limitTest]);
  let ds = datasets.get(key);
  if (ds === undefined) {
    ds = loadDataset(req);
    datasets.set(key, ds);
  }
  return ds;
}
