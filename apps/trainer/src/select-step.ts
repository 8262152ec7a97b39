import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '@tnzip/data';
import type { FactorizationPlan, Module, OptimizedExecutions, StorageEncoding } from '@tnzip/layers';
import {
  type Budget,
  type Calibration,
  type DenseFallback,
  latencySelector,
  type RankFormat,
  type SelectionReport,
} from '@tnzip/ranks';
import { compress } from '@tnzip/ranks/compress';
import type { TrainData, TrainOptions } from '@tnzip/train';
import { type FlagSpec, type FlagValues, int, num, str } from './args.js';
import { UsageError } from './exit-codes.js';
import { heldOutDataset } from './held-out.js';
import { METHODS, type MethodEntry, type MethodKnobs, methodNames } from './methods.js';
import { calibrationBatch } from './model-files.js';
import type { Progress } from './progress.js';
import { searchSecondsOf } from './search-time.js';
import { storageHook, withHook } from './storage-flag.js';
import type { DistillConfig, TrainConfig } from './train-config.js';
import { trainOptions } from './training.js';

/** How one method compresses one model: the protocol `tnzip compress`, `sweep` and the main job share. */
export interface CompressStep {
  readonly method: string;
  readonly format: RankFormat;
  readonly budget: Budget;
  /** Layer paths to compress. */
  readonly layers: readonly string[];
  readonly denseFallback: DenseFallback;
  readonly knobs: MethodKnobs;
  /** The fine-tuning config (BATUDE's phase 1 trains with it, `--batude-epochs` long). */
  readonly finetune: TrainConfig;
  /** How the result will be stored (default float32): uint8 fine-tunes quantization-aware. */
  readonly storage?: StorageEncoding;
}

/** Where the fine-tuning logs and checkpoints go, and what to call it on the progress line. */
export interface StepRun {
  readonly outDir: string;
  readonly resume: boolean;
  readonly label: string;
  readonly progress: Progress;
  /** Saves the compressed model (compress: `<run>/model`), with the measured execution choice. */
  readonly save?: (model: Module, plan: FactorizationPlan, executions: OptimizedExecutions | null) => Promise<void>;
  /**
   * Choose executions by measurement at these batch sizes after fine-tuning (`compress`'s
   * `executions`); `threads`: the backend's, also the latency budget's table key. Absent: not measured.
   */
  readonly executions?: { readonly batches: readonly number[]; readonly threads: number };
  /** The dense parent (its own copy): the teacher when `step.finetune.distill` is set. */
  readonly teacher?: Module;
  /** Called once the model is factorized, before fine-tuning (compress: the ranks line). */
  readonly onFactorized?: (outcome: Pick<StepOutcome, 'plan' | 'report' | 'searchSeconds' | 'before'>) => void;
}

/** What {@link runCompressStep} did. */
export interface StepOutcome {
  readonly plan: FactorizationPlan;
  readonly report: SelectionReport;
  /**
   * Wall seconds of the rank search ({@link searchSecondsOf}: LWIQ's scoring included; BATUDE: its
   * phase-1 training), and of the fine-tuning.
   */
  readonly searchSeconds: number;
  readonly finetuneSeconds: number;
  /** Test accuracy and loss right after factorization, and after fine-tuning. */
  readonly before: { readonly testAcc: number; readonly testLoss: number };
  readonly after: { readonly testAcc: number; readonly testLoss: number };
  /** Test accuracy after each fine-tuning epoch (empty without fine-tuning). */
  readonly finetuneTestAcc: readonly number[];
  /** The measured execution choice and the whole-model check against the dense parent (null: not measured). */
  readonly executions: OptimizedExecutions | null;
}

/**
 * The fine-tuning config of `dense` under the `--finetune-*` flags: the dense recipe's optimizer and
 * batch size, a tenth of its lr (or `--finetune-lr`), a cosine schedule without warm-up or label
 * smoothing, `--finetune-epochs` (default 1), and with `--distill` distillation from the dense parent
 * ({@link DISTILL_DEFAULTS}). One definition for `compress` and `sweep`.
 */
export function resolveFinetune(v: FlagValues, dense: TrainConfig): TrainConfig {
  const epochs = int(v, 'finetune-epochs', 0, 100_000) ?? 1;
  const auto = finetuneLrAuto(v);
  if (auto && epochs === 0)
    throw new UsageError('--finetune-lr auto chooses a fine-tuning lr: it needs --finetune-epochs ≥ 1');
  if (v.distill === true && epochs === 0)
    throw new UsageError('--distill distils the dense parent while fine-tuning: it needs --finetune-epochs ≥ 1');
  return {
    ...dense,
    recipe: 'fine-tune',
    epochs,
    // auto: the base the candidates scale (finetune-lr.ts).
    lr: (auto ? undefined : num(v, 'finetune-lr', 0, 10, true)) ?? dense.lr / 10,
    schedule: { kind: 'cosine' },
    warmupSteps: 0,
    labelSmoothing: 0,
    ...(v.distill === true ? { distill: DISTILL_DEFAULTS } : {}),
  };
}

/**
 * `--distill`'s temperature and weight: Hinton et al.'s T = 4 and an equal share of the two terms
 * (`@tnzip/train`'s defaults).
 */
export const DISTILL_DEFAULTS: DistillConfig = { temperature: 4, alpha: 0.5 };

/** `--distill`, the same for `compress` and `sweep`. */
export const DISTILL_FLAG: FlagSpec = {
  type: 'boolean',
  help: `fine-tune with knowledge distillation from the dense parent: loss = ${1 - DISTILL_DEFAULTS.alpha}·CE + ${DISTILL_DEFAULTS.alpha}·T²·KL at T = ${DISTILL_DEFAULTS.temperature} (default: cross-entropy only)`,
};

/** `--finetune-lr`, the same for `compress` and `sweep`. */
export const FINETUNE_LR_FLAG: FlagSpec = {
  type: 'string',
  value: 'LR|auto',
  help: 'fine-tuning learning rate (default: a tenth of the dense lr); auto: the best of that lr and 10^-0.5, 10^-1 of it (and up to two half-decades lower while the lowest wins) by validation accuracy after one probe epoch each on the training images less a held-out twelfth (at most 5,000)',
};

/** `--finetune-lr auto`: the fine-tuning lr is chosen on a validation split (`chooseFinetuneLr`). */
export function finetuneLrAuto(v: FlagValues): boolean {
  return str(v, 'finetune-lr') === 'auto';
}

/** The optimisation recipe of `options`, without its length, logging, checkpoints or progress. */
function recipeOf(options: TrainOptions): Partial<TrainOptions> {
  const { epochs, outDir, checkpointEvery, logEvery, resume, onProgress, workers, ...recipe } = options;
  return recipe;
}

/** What a selector sees of the data, and what its training phase trains on; `free` is idempotent. */
interface SelectionData {
  readonly context: { readonly calibration: Calibration; readonly validation?: Calibration };
  readonly phaseData: TrainData;
  readonly free: () => void;
}

/**
 * Calibration (the first `calibrationSize` training images) and, for a method that chooses its
 * own hyperparameter (`MethodEntry.validation`), a held-out validation split (`heldOutDataset`,
 * seeded by the fine-tuning seed) that its training phase does not train on. The phase never
 * sees the test split.
 */
function selectionData(ds: Dataset, step: CompressStep, entry: MethodEntry): SelectionData {
  const calibration = calibrationBatch(ds, step.knobs.calibrationSize);
  const held = entry.validation?.(step.knobs) === true ? heldOutDataset(ds, step.finetune.seed).ds : null;
  const validation = held === null ? undefined : calibrationBatch({ ...ds, train: held.test }, held.test.count);
  let disposed = false;
  return {
    context: { calibration, ...(validation === undefined ? {} : { validation }) },
    phaseData: held === null ? { train: ds.train } : { train: held.train, val: held.test },
    free: () => {
      if (disposed) return;
      disposed = true;
      tf.dispose([calibration.x, calibration.y, ...(validation === undefined ? [] : [validation.x, validation.y])]);
    },
  };
}

/**
 * Compresses `model` IN PLACE with `step` through the one pipeline (`compress` of
 * `@tnzip/ranks/compress`): select ranks under the budget (calibration: the first
 * `calibrationSize` training images; BATUDE trains its phase 1 first, with λ auto on the training
 * images less a held-out validation split that chooses λ), factorize from the dense
 * weights (ADA/SCADA: `--ada-init`), fine-tune into `run.outDir`, evaluate on the test split
 * before and after fine-tuning, save.
 *
 * @throws UsageError for an unknown method; whatever the pipeline throws (INVALID_BUDGET, NON_FINITE, …).
 */
export async function runCompressStep(
  model: Module,
  ds: Dataset,
  step: CompressStep,
  run: StepRun,
): Promise<StepOutcome> {
  const entry = METHODS[step.method];
  if (entry === undefined) throw new UsageError(`unknown method '${step.method}' (valid: ${methodNames().join(', ')})`);
  const base = entry.create({ format: step.format, denseFallback: step.denseFallback, knobs: step.knobs });
  // A latency budget: the method's MACs plans priced by a latency table measured at batch 64.
  const selector =
    step.budget.metric === 'latency'
      ? latencySelector(base, { batch: 64, threads: run.executions?.threads ?? 1 })
      : base;
  const ft = step.finetune;
  const ftOptions = trainOptions(ds, ft, run.outDir, run.resume, run.progress, run.label, run.teacher);
  const sel = selectionData(ds, step, entry);
  const qat = storageHook(step.storage ?? 'float32');
  let selected: { plan: FactorizationPlan; report: SelectionReport } | null = null;
  try {
    const r = await compress(model, { train: ds.train, test: ds.test }, selector, {
      budget: step.budget,
      context: { inputShape: ds.inputShape, layers: step.layers, ...sel.context, seed: ft.seed },
      finetune: ft.epochs > 0 ? withHook(ftOptions, qat) : null,
      // A training phase (BATUDE) uses the fine-tuning recipe, also when no fine-tuning follows.
      phase: { ...recipeOf(ftOptions), onProgress: run.progress.train(`${step.method} search`) },
      phaseData: sel.phaseData,
      factorize: entry.factorize?.(step.knobs) ?? {},
      evaluate: { batchSize: 500, normalize: ds.normalization },
      onStage: (s) => {
        if (s.stage === 'selected') {
          sel.free();
          run.progress.done();
          selected = s;
        } else if (s.stage === 'factorized' && selected !== null && s.before !== null) {
          run.onFactorized?.({
            plan: selected.plan,
            report: selected.report,
            searchSeconds: searchSecondsOf(selected.report),
            before: { testAcc: s.before.top1, testLoss: s.before.loss },
          });
        } else if (s.stage === 'fine-tuned' && s.result !== null) run.progress.done();
      },
      ...(run.save === undefined ? {} : { save: run.save }),
      ...(run.executions === undefined ? {} : { executions: run.executions }),
    });
    const before = r.before as NonNullable<typeof r.before>;
    const after = r.after as NonNullable<typeof r.after>;
    return {
      plan: r.plan,
      report: r.report,
      searchSeconds: searchSecondsOf(r.report),
      finetuneSeconds: r.finetuneMs / 1000,
      before: { testAcc: before.top1, testLoss: before.loss },
      after: { testAcc: after.top1, testLoss: after.loss },
      finetuneTestAcc: (r.finetune?.history ?? []).flatMap((e) => (e.testAcc === undefined ? [] : [e.testAcc])),
      executions: r.executions,
    };
  } finally {
    sel.free();
    qat?.dispose();
    run.progress.done();
  }
}
