import type { Dataset } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { type TrainHook, type TrainOptions, type TrainResult, train } from '@tnzip/train';
import { createModel, modelInputShape } from '@tnzip/zoo';
import { UsageError } from './exit-codes.js';
import type { Progress } from './progress.js';
import { withHook } from './storage-flag.js';
import type { TrainConfig } from './train-config.js';

/**
 * A fresh zoo model for `cfg` on `ds`, seeded by `cfg.seed`.
 * @throws UsageError when the model's input shape does not match the dataset's.
 */
export function buildModel(cfg: Pick<TrainConfig, 'model' | 'seed'>, ds: Dataset): Module {
  const opts = cfg.model === 'resnet18' ? { inputShape: ds.inputShape } : {};
  const want = modelInputShape(cfg.model, opts);
  if (want.join('x') !== ds.inputShape.join('x')) {
    throw new UsageError(
      `model ${cfg.model} expects inputs [${want.join(', ')}] but dataset ${ds.name} has [${ds.inputShape.join(', ')}] (choose a matching --dataset)`,
    );
  }
  return createModel(cfg.model, { seed: cfg.seed, numClasses: ds.numClasses, ...opts });
}

/**
 * @tnzip/train's options for `cfg` on `ds`, logging to `outDir` (metrics.jsonl, checkpoints/);
 * `teacher` distils into the model when `cfg.distill` is set.
 *
 * @throws UsageError when `cfg.distill` is set without a teacher.
 */
export function trainOptions(
  ds: Dataset,
  cfg: TrainConfig,
  outDir: string,
  resume: boolean,
  progress: Progress,
  label: string,
  teacher?: Module,
): TrainOptions {
  if (cfg.distill !== undefined && teacher === undefined)
    throw new UsageError('--distill needs the dense parent as the teacher; this command has none');
  return {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    optimizer: cfg.optimizer,
    schedule: cfg.schedule,
    warmupSteps: cfg.warmupSteps,
    seed: cfg.seed,
    labelSmoothing: cfg.labelSmoothing,
    normalize: ds.normalization,
    ...(cfg.augment === null ? {} : { augment: cfg.augment }),
    outDir,
    checkpointEvery: cfg.checkpointEvery,
    logEvery: cfg.logEvery,
    resume,
    onProgress: progress.train(label),
    // One by default: on 2 cores, 2 data-parallel workers beat 1 only on LeNet-5 (1.40x) and halve
    // LeNet-300-100's speed (0.51x; packages/train/README.md, "Speed").
    workers: cfg.workers ?? 1,
    ...(cfg.distill === undefined || teacher === undefined ? {} : { distill: { teacher, ...cfg.distill } }),
  };
}

/** Runs @tnzip/train's `train` for `cfg`, logging to `outDir` (metrics.jsonl, checkpoints/), with `hook` if given. */
export function trainModel(
  model: Module,
  ds: Dataset,
  cfg: TrainConfig,
  outDir: string,
  resume: boolean,
  progress: Progress,
  label: string,
  hook: TrainHook | null = null,
): Promise<TrainResult> {
  const options = withHook(trainOptions(ds, cfg, outDir, resume, progress, label), hook);
  return train(model, { train: ds.train, test: ds.test }, options);
}
