import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { SweepConfig } from './commands/sweep.js';
import { FileError, UsageError } from './exit-codes.js';
import { createRunDir, readJson, writeJson, writeJsonLines } from './run-dir.js';
import type { SweepCell } from './sweep-cell.js';
import type { DenseParent } from './sweep-parent.js';

/** What a restore reads of a sweep's `sweep.json` (the summary a sweep rewrites after each cell). */
interface SweepSummaryFile {
  readonly config: SweepConfig;
  readonly parents: readonly DenseParent[];
  readonly cells: readonly SweepCell[];
}

/** The file in a restored run directory that keeps the dense parents its restored cells ran on. */
export const RESTORED_PARENTS_FILE = 'restored-parents.json';

/** The restored parents of a run (`[]` when the run was not restored from a `sweep.json`). */
async function restoredParents(runDir: string): Promise<readonly DenseParent[]> {
  try {
    await fs.access(path.join(runDir, RESTORED_PARENTS_FILE));
  } catch {
    return [];
  }
  return readJson<DenseParent[]>(path.join(runDir, RESTORED_PARENTS_FILE), 'restored parents');
}

function checkSummary(file: string, s: Partial<SweepSummaryFile>): asserts s is SweepSummaryFile {
  const bad =
    s.config?.command !== 'sweep'
      ? 'config.command is not "sweep"'
      : !Array.isArray(s.cells)
        ? 'cells is not an array'
        : !Array.isArray(s.parents)
          ? 'parents is not an array'
          : null;
  if (bad !== null) throw new FileError(`'${file}' is not a sweep's sweep.json: ${bad}`);
}

/**
 * Recreates a sweep's run directory from its `sweep.json` alone (the file committed with a sweep's
 * partial results, since machines do not keep run directories between sessions): a new
 * `<out>/<timestamp>-sweep-<models>/` with the sweep's `config.json`, its finished cells as
 * `sweep.jsonl` and the dense parents they ran on as {@link RESTORED_PARENTS_FILE}, ready for
 * `--resume`. The cells' model directories are not in `sweep.json`, so their `modelDir` is dropped
 * (`tnzip results --models-dir` then commits a cell run after the restore).
 *
 * @returns the new run directory (locked for this process)
 * @throws FileError when `file` cannot be read or is not a sweep's `sweep.json`
 */
export async function restoreSweep(file: string, out: string): Promise<string> {
  const summary = await readJson<Partial<SweepSummaryFile>>(file, 'sweep summary');
  checkSummary(file, summary);
  const runDir = await createRunDir(out, 'sweep', summary.config.models.join('+'));
  await writeJson(path.join(runDir, 'config.json'), summary.config);
  await writeJson(path.join(runDir, RESTORED_PARENTS_FILE), summary.parents);
  const cells = summary.cells.map(({ modelDir: _, ...rest }) => rest);
  await writeJsonLines(path.join(runDir, 'sweep.jsonl'), cells);
  return runDir;
}

/**
 * In a restored run, refuses a dense parent that is not the one the restored cells ran on (the same
 * model, dataset and seed trained to a different test accuracy: another code version, backend or
 * thread count), so that one row never mixes cells of two parents. Parents are trained
 * deterministically, so a fresh machine normally retrains the very same one.
 *
 * @throws UsageError naming the parent and both accuracies
 */
export async function checkRestoredParent(runDir: string, parent: DenseParent): Promise<void> {
  const same = (p: DenseParent): boolean =>
    p.model === parent.model && p.dataset === parent.dataset && p.seed === parent.seed;
  const recorded = (await restoredParents(runDir)).find(same);
  if (recorded === undefined) return;
  if (recorded.testAcc === parent.testAcc && recorded.testCount === parent.testCount) return;
  const acc = (p: DenseParent): string => `${(100 * p.testAcc).toFixed(2)}% of ${p.testCount}`;
  throw new UsageError(
    `restored sweep '${runDir}': the dense parent ${parent.model} ${parent.dataset} seed ${parent.seed} now reaches ${acc(parent)} test images, ` +
      `but the restored cells ran on one that reached ${acc(recorded)}; resume with the code, backend and threads of the original run (its config.json's versions)`,
  );
}
