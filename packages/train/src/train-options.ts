import type { Augmentation, Normalization, Split } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { checkInt, checkNumber, checkOneOf, TnzipError } from '@tnzip/tensor';
import type { ProgressEvent } from './callbacks/progress.js';
import { UNIT_SCALE } from './evaluate.js';
import type { TrainHook } from './hooks.js';
import type { EpochRecord } from './metrics.js';
import type { OptimizerConfig } from './optimizer.js';
import type { ScheduleConfig } from './schedule.js';

/** The splits `train` uses: `val` and `test` are evaluated after every epoch when given. */
export interface TrainData {
  readonly train: Split;
  readonly val?: Split;
  readonly test?: Split;
}

/** Distillation from a teacher: loss = (1 − alpha)·CE + alpha·T²·KL(p_T(teacher) ‖ p_T(student)). */
export interface DistillOptions {
  readonly teacher: Module;
  /** T > 0 (default 4). */
  readonly temperature?: number;
  /** alpha in [0, 1] (default 0.5). */
  readonly alpha?: number;
}

/** Options of `train`. */
export interface TrainOptions {
  /** Epochs (>= 1). */
  readonly epochs: number;
  /** Examples per step (>= 1). The last batch of an epoch may be smaller. */
  readonly batchSize: number;
  /** Base learning rate (> 0). */
  readonly lr: number;
  /** Default `{ kind: 'sgd', momentum: 0.9 }`. */
  readonly optimizer?: OptimizerConfig;
  /** Default `{ kind: 'constant' }`. */
  readonly schedule?: ScheduleConfig;
  /** Linear warm-up steps (default 0). */
  readonly warmupSteps?: number;
  /** Shuffling, augmentation and trainer-Rng seed in [0, 2^32) (default 0). */
  readonly seed?: number;
  /** Label smoothing ε in [0, 1) (default 0). */
  readonly labelSmoothing?: number;
  readonly distill?: DistillOptions;
  readonly hooks?: readonly TrainHook[];
  /** Normalization of raw pixels (usually `dataset.normalization`); default pixels/255. */
  readonly normalize?: Normalization | null;
  /** Training-time augmentation. */
  readonly augment?: Augmentation;
  /** Feed flat `[N, D]` batches. */
  readonly flatten?: boolean;
  /** Batch size of evaluation (default 500). */
  readonly evalBatchSize?: number;
  /** Directory for `metrics.jsonl` and `checkpoints/`; without it nothing is written and resume is impossible. */
  readonly outDir?: string;
  /** Also checkpoint every this many global steps (default 0: only at epoch ends). */
  readonly checkpointEvery?: number;
  /** Checkpoints kept (default 2, >= 1). */
  readonly keepCheckpoints?: number;
  /** Log a step line every this many steps (default 50; 0: epoch lines only). */
  readonly logEvery?: number;
  /**
   * Continue from the newest checkpoint in `outDir` (a fresh start when `outDir` holds no checkpoint
   * file; an error when it holds some and none can be read).
   */
  readonly resume?: boolean;
  /** Called after every training step and every epoch (see {@link ProgressEvent}). */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Called after each checkpoint is written. */
  readonly onCheckpoint?: (info: CheckpointInfo) => void;
  /**
   * Worker threads for data-parallel training in Node, an integer in [1, 16] (default 1: train in
   * this thread). With N > 1 each step's batch is split over N threads, each on a 1-thread backend
   * of the active kind (cpu or wasm), and their gradients are averaged in a fixed order: a run is
   * deterministic for a given N, and equal to the 1-worker run up to float32 summation order
   * (BatchNorm aside: each worker normalizes with its shard's statistics). The model (and teacher)
   * must be serializable by `saveToMemory`. Not part of the resume fingerprint.
   */
  readonly workers?: number;
  /**
   * How factorized layers set to `'factorized'` execute while training (default `'cheapest'`: each
   * runs the cheaper by MACs of its chain and its rebuilt kernel — the same function and gradients,
   * float rounding aside; see `withCheapestExecution` of `@tnzip/layers`; the modes are restored
   * when `train` returns or throws). `'as-set'` runs every layer as its mode says. Not part of the
   * resume fingerprint.
   */
  readonly execution?: TrainExecution;
}

/** Values of {@link TrainOptions.execution}. */
export const TRAIN_EXECUTIONS = ['cheapest', 'as-set'] as const;
/** How factorized layers execute during `train` (see {@link TrainOptions.execution}). */
export type TrainExecution = (typeof TRAIN_EXECUTIONS)[number];

/** What `onCheckpoint` is told about a checkpoint just written. */
export interface CheckpointInfo {
  readonly file: string;
  readonly epoch: number;
  readonly stepInEpoch: number;
  readonly globalStep: number;
}

/** What `train` returns. */
export interface TrainResult {
  /** Epoch lines, one per epoch. */
  readonly history: readonly EpochRecord[];
  /** The last epoch line. */
  readonly final: EpochRecord;
  readonly globalStep: number;
  /** Newest checkpoint written, or null without `outDir`. */
  readonly checkpoint: string | null;
  /** The run continued from this checkpoint (null for a fresh start). */
  readonly resumedFrom: string | null;
}

/** Most worker threads `workers` accepts. */
export const MAX_WORKERS = 16;

/** {@link TrainOptions} with every default filled in and every value checked. */
export interface ResolvedOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly optimizer: OptimizerConfig;
  readonly schedule: ScheduleConfig;
  readonly warmupSteps: number;
  readonly seed: number;
  readonly labelSmoothing: number;
  readonly distill: { readonly teacher: Module; readonly temperature: number; readonly alpha: number } | null;
  readonly hooks: readonly TrainHook[];
  readonly normalize: Normalization | null;
  readonly augment: Augmentation | undefined;
  readonly flatten: boolean;
  readonly evalBatchSize: number;
  readonly outDir: string | null;
  readonly checkpointEvery: number;
  readonly keepCheckpoints: number;
  readonly logEvery: number;
  readonly resume: boolean;
  readonly onProgress: TrainOptions['onProgress'];
  readonly onCheckpoint: TrainOptions['onCheckpoint'];
  readonly workers: number;
  readonly execution: TrainExecution;
}

/**
 * Checks every option and split before any work (INVALID_ARGUMENT naming the option and its range)
 * and fills in the defaults.
 */
export function resolveOptions(o: TrainOptions, data: TrainData): ResolvedOptions {
  checkInt(o.epochs, 'epochs', 1);
  checkInt(o.batchSize, 'batchSize', 1);
  checkNumber(o.lr, 'lr', Number.MIN_VALUE, Number.MAX_VALUE);
  const seed = o.seed ?? 0;
  checkInt(seed, 'seed', 0, 0xffffffff);
  const labelSmoothing = o.labelSmoothing ?? 0;
  checkNumber(labelSmoothing, 'labelSmoothing', 0, 0.999999);
  const counts = {
    warmupSteps: o.warmupSteps ?? 0,
    evalBatchSize: o.evalBatchSize ?? 500,
    checkpointEvery: o.checkpointEvery ?? 0,
    keepCheckpoints: o.keepCheckpoints ?? 2,
    logEvery: o.logEvery ?? 50,
    workers: o.workers ?? 1,
  };
  const least = { evalBatchSize: 1, keepCheckpoints: 1, workers: 1 } as Record<string, number>;
  for (const [k, v] of Object.entries(counts)) checkInt(v, k, least[k] ?? 0, k === 'workers' ? MAX_WORKERS : undefined);
  if (o.outDir !== undefined && (typeof o.outDir !== 'string' || o.outDir === ''))
    throw new TnzipError('INVALID_ARGUMENT', 'outDir must be a non-empty path');
  if (o.resume === true && o.outDir === undefined) throw new TnzipError('INVALID_ARGUMENT', 'resume needs outDir');
  const execution = checkOneOf(o.execution ?? 'cheapest', 'execution', TRAIN_EXECUTIONS);
  checkSplits(data);
  return {
    ...counts,
    execution,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    optimizer: o.optimizer ?? { kind: 'sgd', momentum: 0.9 },
    schedule: o.schedule ?? { kind: 'constant' },
    seed,
    labelSmoothing,
    distill: resolveDistill(o.distill),
    hooks: checkHooks(o.hooks ?? []),
    normalize: o.normalize === undefined ? UNIT_SCALE : o.normalize,
    augment: o.augment,
    flatten: o.flatten === true,
    outDir: o.outDir ?? null,
    resume: o.resume === true,
    onProgress: o.onProgress,
    onCheckpoint: o.onCheckpoint,
  };
}

function resolveDistill(d: DistillOptions | undefined): ResolvedOptions['distill'] {
  if (d === undefined) return null;
  const temperature = d.temperature ?? 4;
  const alpha = d.alpha ?? 0.5;
  checkNumber(temperature, 'distill.temperature', 1e-6, 1e6);
  checkNumber(alpha, 'distill.alpha', 0, 1);
  return { teacher: d.teacher, temperature, alpha };
}

function checkHooks(hooks: readonly TrainHook[]): readonly TrainHook[] {
  const names = new Set<string>();
  for (const h of hooks) {
    if (typeof h?.name !== 'string' || names.has(h.name))
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `hooks need unique string names, got '${String(h?.name)}' twice or missing`,
      );
    names.add(h.name);
  }
  return hooks;
}

/** A split with no example would train nothing or report an accuracy of 0 % that was never measured. */
function checkSplits(data: TrainData): void {
  for (const k of ['train', 'val', 'test'] as const) {
    const s = data[k];
    if (s === undefined && k !== 'train') continue;
    if (s === undefined || !Number.isSafeInteger(s.count) || s.count < 1)
      throw new TnzipError('INVALID_ARGUMENT', `data.${k} has ${s?.count ?? 'no'} examples, it needs at least 1`);
  }
}
