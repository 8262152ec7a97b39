import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { rewriteMeta } from '@tnzip/layers';
import type { SweepConfig } from './commands/sweep.js';
import { sweepFallback } from './commands/sweep.js';
import { FileError, UsageError } from './exit-codes.js';
import { commandLine } from './html-page.js';
import { methodSettings } from './method-settings.js';
import type { ResultRow } from './results-rows.js';
import { exists, readJson, readJsonLines } from './run-dir.js';
import type { SweepCell } from './sweep-cell.js';
import type { DenseParent } from './sweep-parent.js';
import { meanStd } from './sweep-summary.js';

/** What {@link rowsOfSweep} read from one run. */
export interface SweepRows {
  readonly rows: ResultRow[];
  /** `model method budget: error` of each group with no finished seed (no row). */
  readonly skipped: string[];
}

/** Options of {@link rowsOfSweep}. */
export interface RowsOptions {
  /** A note stored in every row (e.g. that the run is a smoke run, not a headline result). */
  readonly note?: string;
  /**
   * Copy each row's model (its first finished seed that has its model directory: cells restored from a
   * sweep.json have none) into `<modelsDir>/<name>/` and record `model_dir` (relative to `base`) and
   * `model_accuracy`. Needs a run on the full test set.
   */
  readonly modelsDir?: string;
  readonly base?: string;
}

const mean = (xs: readonly number[]): number => meanStd(xs)?.mean as number;

async function readSweep(runDir: string): Promise<{ config: SweepConfig; cells: SweepCell[]; parents: DenseParent[] }> {
  const config = await readJson<SweepConfig>(path.join(runDir, 'config.json'), 'run config');
  if (config.command !== 'sweep')
    throw new UsageError(`'${runDir}' is a ${String(config.command)} run; tnzip results reads sweep runs`);
  const cells = await readJsonLines<SweepCell>(path.join(runDir, 'sweep.jsonl'));
  const sweepJson = path.join(runDir, 'sweep.json');
  const parents = (await exists(sweepJson))
    ? ((await readJson<{ parents?: DenseParent[] }>(sweepJson, 'sweep summary')).parents ?? [])
    : [];
  return { config, cells, parents };
}

/** The row of one (model, dataset, method, budget) group of finished cells. */
function rowOf(
  config: SweepConfig,
  ok: readonly SweepCell[],
  parents: readonly DenseParent[],
  note?: string,
): ResultRow {
  const first = ok[0] as SweepCell;
  const fb = sweepFallback(config);
  const seeds = ok.map((c) => c.seed ?? fb.seed);
  const i = config.models.indexOf(first.model as SweepConfig['models'][number]);
  const acc = meanStd(ok.map((c) => c.testAcc as number)) as { mean: number; std: number };
  const mine = parents.filter((p) => p.model === first.model && seeds.includes(p.seed));
  const scope = first.scope ?? config.budgets.find((b) => b.label === first.budget)?.budget.scope ?? 'layers';
  const settings = rowSettings(first.method, config);
  return {
    method: first.method,
    format: first.format ?? 'unknown',
    model: first.model,
    dataset: first.dataset ?? fb.dataset(first.model),
    budget_metric: first.metric,
    budget: 1 / first.target,
    budget_scope: scope === 'model' ? 'model' : 'compressible',
    param_ratio: mean(ok.map((c) => c.paramsRatioNet as number)),
    macs_ratio: mean(ok.map((c) => c.macsRatioNet as number)),
    storage_ratio: mean(ok.map((c) => (c.denseWeightsBytes as number) / (c.weightsBytes as number))),
    accuracy_mean: acc.mean,
    accuracy_std: acc.std,
    dense_accuracy_mean: mean(ok.map((c) => c.denseAcc)),
    seeds,
    command: commandLine(config.argv),
    // Beyond the fields: how the figures were made.
    budget_label: first.budget,
    param_ratio_compressible: mean(ok.map((c) => c.paramsRatioLayers as number)),
    dense_accuracy_std: (meanStd(ok.map((c) => c.denseAcc)) as { std: number }).std,
    dense_reached_target: mine.length === 0 || mine[0]?.target === null ? null : mine.every((p) => p.reachedTarget),
    dense_epochs: config.denseFrom === null ? (config.dense[i]?.epochs ?? null) : null,
    finetune_epochs: config.finetune[i]?.epochs ?? null,
    ...(settings === undefined ? {} : { settings }),
    ...chosenLrs(ok),
    ...commitsOf(ok, config),
    limit_train: config.dense[i]?.limitTrain ?? null,
    limit_test: config.dense[i]?.limitTest ?? null,
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * The `docs/results.json` rows of the sweep run `runDir`: one per (model, dataset, method, budget)
 * with at least one finished seed, figures over the finished seeds.
 *
 * @throws UsageError when `runDir` is not a sweep, or models are asked of a run on a limited test set;
 *   FileError for a missing or malformed file, or a finished cell without weights.bin sizes (a sweep
 *   written before they were recorded).
 */
export async function rowsOfSweep(runDir: string, options: RowsOptions = {}): Promise<SweepRows> {
  const { config, cells, parents } = await readSweep(runDir);
  const fb = sweepFallback(config);
  const groups = new Map<string, SweepCell[]>();
  for (const c of cells) {
    const k = [c.model, c.dataset ?? fb.dataset(c.model), c.method, c.budget].join('|');
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const rows: ResultRow[] = [];
  const skipped: string[] = [];
  for (const g of groups.values()) {
    const ok = g.filter((c) => c.status === 'ok');
    const first = g[0] as SweepCell;
    if (ok.length === 0) {
      skipped.push(`${first.model} ${first.method} ${first.budget}: ${first.error ?? 'failed'}`);
      continue;
    }
    if (ok.some((c) => c.weightsBytes === undefined || c.denseWeightsBytes === undefined))
      throw new FileError(
        `'${runDir}' has cells without weights.bin sizes (a sweep older than storage ratios); rerun it`,
      );
    const row = { ...rowOf(config, ok, parents, options.note), run: path.basename(path.resolve(runDir)) };
    // Cells restored from a sweep.json have no model directory: commit the first that has one.
    const withDir = ok.find((c) => c.modelDir !== undefined);
    rows.push(
      options.modelsDir === undefined || withDir === undefined
        ? row
        : await withModel(row, withDir, runDir, config, options),
    );
  }
  return { rows, skipped };
}

/**
 * The method's settings off their defaults, `--finetune-lr auto` when the sweep chose its fine-tuning
 * lr on a validation split and `--distill` when it fine-tuned with distillation (protocols of their
 * own: their rows never replace a row without them).
 */
function rowSettings(method: string, config: SweepConfig): string | undefined {
  const parts = [
    methodSettings(method, config.knobs),
    config.finetuneLr === 'auto' ? '--finetune-lr auto' : undefined,
    config.finetune.some((f) => f.distill !== undefined) ? '--distill' : undefined,
  ];
  const given = parts.filter((p): p is string => p !== undefined);
  return given.length === 0 ? undefined : given.join(' ');
}

/** `--finetune-lr auto`: the lr each seed's cell chose (`finetune_lr`, in the order of `seeds`). */
function chosenLrs(cells: readonly SweepCell[]): { finetune_lr?: number[] } {
  const lrs = cells.map((c) => (c.details?.finetuneLr as { lr?: unknown } | undefined)?.lr);
  return lrs.every((lr): lr is number => typeof lr === 'number') && lrs.length > 0 ? { finetune_lr: lrs } : {};
}

/**
 * The row's `commit`: the distinct commits its cells ran on (each cell's own, else the run's
 * `config.json` commit), comma-separated in cell order; none when neither was recorded.
 */
function commitsOf(cells: readonly SweepCell[], config: SweepConfig): { commit?: string } {
  const run = config.versions?.commit;
  const all = cells.map((c) => c.commit ?? run).filter((c): c is string => typeof c === 'string');
  return all.length === 0 ? {} : { commit: [...new Set(all)].join(', ') };
}

/**
 * The directory name of a row's committed model: model, dataset, method, metric, budget, seed, and
 * the method's settings off their defaults (so an ablation's model never replaces the default's):
 * `lenet5-mnist-scada-storage-691x-seed0-ada-init-decompose-norm`.
 */
export function committedModelName(row: ResultRow, budgetLabel: string, seed: number): string {
  const base = `${row.model}-${row.dataset}-${row.method}-${row.budget_metric}-${budgetLabel}-seed${seed}`;
  if (typeof row.settings !== 'string') return base;
  const slug = row.settings
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug === '' ? base : `${base}-${slug}`;
}

/** Copies the cell's model into `options.modelsDir` and records it in the row. */
async function withModel(
  row: ResultRow,
  cell: SweepCell,
  runDir: string,
  config: SweepConfig,
  options: RowsOptions,
): Promise<ResultRow> {
  if (config.dense.some((d) => d.limitTest !== null))
    throw new UsageError(
      `--models-dir needs a sweep evaluated on the full test set (model_accuracy must be what 'tnzip eval' gives); '${runDir}' used --limit-test`,
    );
  const dest = path.join(options.modelsDir as string, committedModelName(row, cell.budget, cell.seed ?? config.seed));
  await fs.rm(dest, { recursive: true, force: true });
  await fs.cp(path.join(runDir, cell.modelDir as string), dest, { recursive: true });
  if (cell.denseWeightsBytes !== undefined) await recordDenseBytes(dest, cell.denseWeightsBytes);
  return {
    ...row,
    model_dir: path.relative(options.base ?? process.cwd(), dest),
    model_accuracy: cell.testAcc as number,
    model_seed: cell.seed ?? config.seed,
  };
}

/**
 * Puts the dense parent's weights.bin size into a copied model.json's `meta.denseWeightsBytes` where
 * it is missing (sweeps before it was recorded there), so `tnzip eval` of the copy gives its storage
 * ratio. Only meta changes; the weights and their hash do not.
 */
async function recordDenseBytes(dir: string, bytes: number): Promise<void> {
  await rewriteMeta(dir, (meta) =>
    meta.denseWeightsBytes !== undefined ? { ...meta } : { ...meta, denseWeightsBytes: bytes },
  );
}
