import type { Dataset } from '@tnzip/data';
import { cacheOnCpu, type FactorizationPlan, factorize, type Module } from '@tnzip/layers';
import type { Budget, DenseFallback, RankFormat, SelectionReport } from '@tnzip/ranks';
import { UsageError } from './exit-codes.js';
import { METHODS, type MethodKnobs, methodNames } from './methods.js';
import { calibrationBatch, testEval } from './model-files.js';
import type { Progress } from './progress.js';
import type { TrainConfig } from './train-config.js';

/** How one method compresses one model (everything but the fine-tuning). */
export interface SelectStep {
  readonly method: string;
  readonly format: RankFormat;
  readonly budget: Budget;
  /** Layer paths to compress. */
  readonly layers: readonly string[];
  readonly denseFallback: DenseFallback;
  readonly knobs: MethodKnobs;
  /** The fine-tuning config: BATUDE's phase 1 trains with it (its epochs replaced by the knob's). */
  readonly finetune: TrainConfig;
}

/** What {@link selectAndFactorize} did. */
export interface SelectOutcome {
  readonly plan: FactorizationPlan;
  readonly report: SelectionReport;
  /** Wall seconds of the rank search (BATUDE: its phase-1 training), from the selector's report. */
  readonly searchSeconds: number;
  /** Test accuracy and loss right after factorization, before fine-tuning. */
  readonly before: { readonly testAcc: number; readonly testLoss: number };
}

/**
 * Selects ranks with `step.method` under `step.budget` and factorizes `model` IN PLACE (from its
 * dense weights; BATUDE first trains them toward the budget, ADA/SCADA use the `--ada-init`), then
 * evaluates it on the test split. The calibration batch (first `calibrationSize` training images)
 * is disposed here.
 *
 * @throws UsageError for an unknown method; whatever the selector throws (INVALID_BUDGET, …).
 */
export async function selectAndFactorize(
  model: Module,
  ds: Dataset,
  step: SelectStep,
  seed: number,
  progress: Progress,
): Promise<SelectOutcome> {
  const entry = METHODS[step.method];
  if (entry === undefined) throw new UsageError(`unknown method '${step.method}' (valid: ${methodNames().join(', ')})`);
  const ft = step.finetune;
  const calibration = calibrationBatch(ds, step.knobs.calibrationSize);
  let selection: { plan: FactorizationPlan; report: SelectionReport };
  try {
    const selector = entry.create({
      format: step.format,
      denseFallback: step.denseFallback,
      knobs: step.knobs,
      data: { train: ds.train, test: ds.test },
      phase1: {
        epochs: step.knobs.batudeEpochs,
        batchSize: ft.batchSize,
        lr: ft.lr,
        optimizer: ft.optimizer,
        schedule: ft.schedule,
        seed,
        normalize: ds.normalization,
        ...(ft.augment === null ? {} : { augment: ft.augment }),
        onProgress: progress.train(`${step.method} search`),
      },
    });
    // Selectors and factorize read weights synchronously: on webgpu they must be on the CPU first.
    await cacheOnCpu(model);
    selection = await selector.select(model, step.budget, {
      inputShape: ds.inputShape,
      layers: step.layers,
      calibration,
      seed,
    });
  } finally {
    calibration.x.dispose();
    calibration.y.dispose();
  }
  progress.done();
  await cacheOnCpu(model); // BATUDE's phase 1 trained the weights since
  factorize(model, selection.plan, { seed, ...(entry.factorize?.(step.knobs) ?? {}) });
  const ev = await testEval(model, ds);
  return {
    plan: selection.plan,
    report: selection.report,
    searchSeconds: selection.report.searchMs / 1000,
    before: { testAcc: ev.top1, testLoss: ev.loss },
  };
}
