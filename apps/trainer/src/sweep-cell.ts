import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Dataset } from '@tnzip/data';
import { type LayerPlan, type Module, type StorageEncoding, storageBytes } from '@tnzip/layers';
import type { Budget, BudgetMetric, BudgetScope, DenseFallback, RankFormat } from '@tnzip/ranks';
import { CHECKPOINT_DIR } from '@tnzip/train';
import type { ModelName } from '@tnzip/zoo';
import type { DatasetName } from './datasets.js';
import { atChosenLr, chooseFinetuneLr, type LrChoice } from './finetune-lr.js';
import { layersOf } from './layer-set.js';
import type { MethodKnobs } from './methods.js';
import { loadModelDir, saveModelDir } from './model-files.js';
import { layerRows } from './results.js';
import { codeCommit } from './runtime.js';
import { type CompressStep, runCompressStep } from './select-step.js';
import { type DenseParent, ensureDenseParent, loadedParent, type ParentDeps } from './sweep-parent.js';
import { checkRestoredParent } from './sweep-restore.js';
import { teacherFor } from './teacher.js';
import type { TrainConfig } from './train-config.js';

/**
 * Everything one sweep cell needs, as plain JSON: a (model, dataset, seed, method, budget) cell can be
 * run by this process, another process or a queue worker, and gives the same line for the same spec.
 */
export interface CellSpec {
  readonly model: ModelName;
  readonly dataset: DatasetName;
  readonly seed: number;
  readonly method: string;
  readonly format: RankFormat;
  /** The budget as given (`4x`) and parsed. */
  readonly budgetLabel: string;
  readonly budget: Budget;
  readonly denseFallback: DenseFallback;
  readonly knobs: MethodKnobs;
  /** The dense parent's training (its data, limits and seed are the cell's too). */
  readonly dense: TrainConfig;
  readonly finetune: TrainConfig;
  /** `'auto'`: choose the fine-tuning lr on a validation split first ({@link chooseFinetuneLr}); absent: `finetune.lr`. */
  readonly finetuneLr?: 'auto';
  /** How weights.bin stores the weights (absent: float32); uint8 fine-tunes quantization-aware. */
  readonly storage?: StorageEncoding;
  /** `'all'`: every conv and linear layer may be compressed (absent: the zoo's compressibleLayers). */
  readonly layers?: 'all';
  /** A parent to load (`--dense-from`) instead of training one; null: train-or-reuse in `parentsDir`. */
  readonly denseFrom: string | null;
  /** Where dense parents are trained and shared (`<parentsDir>/<model>-<dataset>-seed<N>-<hash>/`). */
  readonly parentsDir: string;
  /** The sweep's run directory: the cell writes `cells/<cellName>/` (fine-tune log, `model/`) under it. */
  readonly runDir: string;
}

/** One line of `sweep.jsonl`: a (model, dataset, seed, method, budget) cell. */
export interface SweepCell {
  readonly model: string;
  /** Absent in lines written before multi-seed sweeps (then: the config's dataset and seed). */
  readonly dataset?: string;
  readonly seed?: number;
  readonly method: string;
  readonly budget: string;
  readonly metric: BudgetMetric;
  readonly scope?: BudgetScope;
  readonly target: number;
  readonly status: 'ok' | 'failed';
  /** The failure's message (status 'failed'). */
  readonly error?: string;
  readonly format?: string;
  readonly denseAcc: number;
  readonly testAcc?: number;
  readonly beforeFinetuneAcc?: number;
  /**
   * Test accuracy after each fine-tuning epoch, as the fine-tuning's epoch lines give it (with float32
   * weights the last equals `testAcc`); absent in lines written before it was recorded
   * (finetune-curves.ts then reads the cell's metrics.jsonl).
   */
  readonly finetuneTestAcc?: readonly number[];
  /** dense / planned over the compressed layers, and over the whole network. */
  readonly paramsRatioLayers?: number;
  readonly macsRatioLayers?: number;
  readonly paramsRatioNet?: number;
  readonly macsRatioNet?: number;
  readonly params?: number;
  readonly macs?: number;
  /** Bytes of the dense parent's and of the compressed model's `weights.bin` (whole model). */
  readonly denseWeightsBytes?: number;
  readonly weightsBytes?: number;
  /** The compressed model directory, relative to the run directory. */
  readonly modelDir?: string;
  /**
   * The git commit of the code that ran the cell ({@link codeCommit}); absent outside a git checkout
   * and in lines written before it was recorded (then: the run's `config.json` commit). A resumed or
   * restored sweep can hold cells of several commits.
   */
  readonly commit?: string;
  readonly searchSeconds?: number;
  readonly finetuneSeconds?: number;
  readonly plan?: Readonly<Record<string, LayerPlan>>;
  /**
   * The selector's report details (BATUDE: λ, its trials and the per-layer residuals ‖W − Z‖/‖W‖;
   * LWIQ: scores and scoring time; energy: τ; …). Absent in lines written before it was recorded.
   */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly finishedAt: string;
}

/** What a cell needs from the process running it. */
export type CellDeps = ParentDeps;

/** The key of a cell in `sweep.jsonl` (`--resume` skips the keys it finds). */
export function cellKey(c: {
  readonly model: string;
  readonly dataset: string;
  readonly seed: number;
  readonly method: string;
  readonly budget: string;
}): string {
  return `${c.model}|${c.dataset}|${c.seed}|${c.method}|${c.budget}`;
}

/** The `sweep.jsonl` key of the line `spec` gives. */
export function specKey(spec: CellSpec): string {
  return cellKey({ ...spec, budget: spec.budgetLabel });
}

/** The cell's directory name under `<run>/cells/`. */
export function cellName(spec: {
  readonly model: string;
  readonly dataset: string;
  readonly seed: number;
  readonly method: string;
  readonly budgetLabel: string;
}): string {
  return `${spec.model}-${spec.dataset}-seed${spec.seed}-${spec.method}-${spec.budgetLabel}`;
}

/** The parent of `spec`: loaded from `denseFrom`, or trained-or-reused in `parentsDir`. */
export function parentOf(spec: CellSpec, deps: CellDeps): Promise<DenseParent> {
  return spec.denseFrom === null
    ? ensureDenseParent(spec.dense, spec.parentsDir, deps)
    : loadedParent(spec.denseFrom, spec.dense, deps);
}

/**
 * The format a cell planned: the selector's own word when it gives one (baselines: `tucker2`, `tt`),
 * else the distinct factorized kinds of its plan (ADA: `ada-tucker`), else the format asked for.
 */
function formatOf(reported: unknown, plan: Readonly<Record<string, LayerPlan>>, asked: string): string {
  if (typeof reported === 'string') return reported;
  const kinds = [...new Set(Object.values(plan).map((p) => p.kind))].filter((k) => k !== 'dense');
  return kinds.length > 0 ? kinds.join('+') : asked;
}

/** The fields of a `sweep.jsonl` line that name its cell (what any outcome of `spec` starts with). */
export function cellIdentity(
  spec: CellSpec,
): Pick<SweepCell, 'model' | 'dataset' | 'seed' | 'method' | 'budget' | 'metric' | 'scope' | 'target'> {
  return {
    model: spec.model,
    dataset: spec.dataset,
    seed: spec.seed,
    method: spec.method,
    budget: spec.budgetLabel,
    metric: spec.budget.metric,
    scope: spec.budget.scope,
    target: spec.budget.target,
  };
}

const errorText = (e: unknown): string =>
  e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);

/**
 * Runs one cell on a fresh copy of its dense parent (obtained with {@link parentOf}; pass `parent`
 * when the caller has it already): select ranks under the budget, factorize, fine-tune, evaluate on
 * the test split, save `<run>/cells/<cellName>/model/`. A failure of the compression (budget
 * unreachable, NaN) becomes a 'failed' line; a failure to get the parent is thrown.
 */
export async function runSweepCell(spec: CellSpec, deps: CellDeps, parent?: DenseParent): Promise<SweepCell> {
  const dense = parent ?? (await parentOf(spec, deps));
  await checkRestoredParent(spec.runDir, dense);
  const ds = deps.data(spec.dense);
  const commit = codeCommit();
  const base = { ...cellIdentity(spec), denseAcc: dense.testAcc, ...(commit === null ? {} : { commit }) };
  const cellDir = path.join(spec.runDir, 'cells', cellName(spec));
  let model: Module | null = null;
  let teacher: Module | undefined;
  try {
    await fs.rm(cellDir, { recursive: true, force: true });
    model = (await loadModelDir(dense.dir)).model;
    teacher = await teacherFor(spec.finetune, dense.dir);
    const fresh = async (): Promise<Module> => (await loadModelDir(dense.dir)).model;
    const cell = { dir: cellDir, deps, teacher, fresh };
    const done =
      spec.finetuneLr === 'auto'
        ? await compressAtChosenLr(spec, model, ds, cell)
        : await compressCell(model, ds, spec, cell);
    return { ...base, ...done, denseWeightsBytes: (await fs.stat(path.join(dense.dir, 'weights.bin'))).size };
  } catch (e) {
    deps.progress.done();
    return { ...base, status: 'failed', error: errorText(e), finishedAt: new Date().toISOString() };
  } finally {
    model?.dispose();
    teacher?.dispose();
  }
}

/**
 * Where a cell writes, its dependencies, its distillation teacher (`--distill`: the dense parent),
 * and a fresh copy of its parent (the lr probes and a retry after a divergence).
 */
interface CellRun {
  readonly dir: string;
  readonly deps: CellDeps;
  readonly teacher: Module | undefined;
  readonly fresh: () => Promise<Module>;
}

/** The progress label of a cell: `lenet5 seed 0 scada 691x`. */
const cellLabel = (spec: CellSpec): string => `${spec.model} seed ${spec.seed} ${spec.method} ${spec.budgetLabel}`;

/** The compression step of `spec` on `model` (a fresh copy of its parent). */
function stepOf(spec: CellSpec, model: Module): CompressStep {
  return {
    method: spec.method,
    format: spec.format,
    budget: spec.budget,
    layers: layersOf(model, spec.layers ?? 'default'),
    denseFallback: spec.denseFallback,
    knobs: spec.knobs,
    finetune: spec.finetune,
    storage: spec.storage ?? 'float32',
  };
}

const withLr = (spec: CellSpec, lr: number): CellSpec => ({ ...spec, finetune: { ...spec.finetune, lr } });

/**
 * `--finetune-lr auto`: the cell's lr, chosen by probes on fresh copies of its parent
 * (`<cell>/lr-probes/`); `model` (the cell's own copy, left untouched) names the layers.
 */
function chooseCellLr(spec: CellSpec, model: Module, ds: Dataset, cell: CellRun): Promise<LrChoice> {
  return chooseFinetuneLr(cell.fresh, ds, stepOf(spec, model), {
    outDir: cell.dir,
    label: cellLabel(spec),
    progress: cell.deps.progress,
    ...teacherOf(cell),
  });
}

/**
 * `--finetune-lr auto`: the cell compressed at the lr its probes chose, or at the next best when the
 * full fine-tuning diverges ({@link atChosenLr}: each retry on a fresh copy of the parent, its
 * fine-tuning checkpoints cleared); `details.finetuneLr` records the choice and what diverged.
 */
async function compressAtChosenLr(spec: CellSpec, model: Module, ds: Dataset, cell: CellRun): Promise<CellOutcome> {
  const choice = await chooseCellLr(spec, model, ds, cell);
  const { result, choice: used } = await atChosenLr(
    choice,
    async (lr, retry) => {
      if (!retry) return compressCell(model, ds, withLr(spec, lr), cell);
      await fs.rm(path.join(cell.dir, CHECKPOINT_DIR), { recursive: true, force: true });
      const copy = await cell.fresh();
      try {
        return await compressCell(copy, ds, withLr(spec, lr), cell);
      } finally {
        copy.dispose();
      }
    },
    (c) =>
      cell.deps.progress.note(
        `${cellLabel(spec)}: lr ${(c.diverged?.at(-1)?.lr ?? 0).toPrecision(3)} diverged in the full fine-tuning; next best`,
      ),
  );
  return { ...result, details: { ...result.details, finetuneLr: used } };
}

const teacherOf = (cell: CellRun): { teacher?: Module } =>
  cell.teacher === undefined ? {} : { teacher: cell.teacher };

/** What a cell's line holds beyond its identity and parent. */
type CellOutcome = Omit<
  SweepCell,
  'model' | 'dataset' | 'seed' | 'method' | 'budget' | 'metric' | 'scope' | 'target' | 'denseAcc' | 'details'
> & { details?: Readonly<Record<string, unknown>> };

async function compressCell(model: Module, ds: Dataset, spec: CellSpec, cell: CellRun): Promise<CellOutcome> {
  const cellDir = cell.dir;
  const denseRows = layerRows(model, ds.inputShape);
  // The dense parent's float32 weights.bin, recorded in the model so 'tnzip eval' gives its storage ratio.
  const denseWeightsBytes = storageBytes(model, 'float32');
  const modelDir = path.join(cellDir, 'model');
  const outcome = await runCompressStep(model, ds, stepOf(spec, model), {
    outDir: cellDir,
    resume: false,
    label: `${cellLabel(spec)} fine-tune`,
    progress: cell.deps.progress,
    ...teacherOf(cell),
    save: (m, plan) =>
      saveModelDir(m, modelDir, {
        inputShape: ds.inputShape,
        plan,
        ...(spec.storage === undefined || spec.storage === 'float32' ? {} : { storage: spec.storage }),
        meta: {
          model: spec.model,
          dataset: spec.dataset,
          numClasses: ds.numClasses,
          method: spec.method,
          seed: spec.seed,
          denseWeightsBytes,
        },
      }),
  });
  const rows = layerRows(model, ds.inputShape);
  const r = outcome.report;
  return {
    status: 'ok',
    format: formatOf(r.details?.format, outcome.plan as Record<string, LayerPlan>, spec.format),
    testAcc: outcome.after.testAcc,
    beforeFinetuneAcc: outcome.before.testAcc,
    finetuneTestAcc: outcome.finetuneTestAcc,
    paramsRatioLayers: r.dense.params / r.planned.params,
    macsRatioLayers: r.dense.macs / r.planned.macs,
    paramsRatioNet: denseRows.params / rows.params,
    macsRatioNet: denseRows.macs / rows.macs,
    params: rows.params,
    macs: rows.macs,
    weightsBytes: (await fs.stat(path.join(modelDir, 'weights.bin'))).size,
    modelDir: path.relative(spec.runDir, modelDir),
    searchSeconds: outcome.searchSeconds,
    finetuneSeconds: outcome.finetuneSeconds,
    plan: outcome.plan as Record<string, LayerPlan>,
    ...(r.details === undefined ? {} : { details: r.details }),
    finishedAt: new Date().toISOString(),
  };
}
