import type { BatchOptions } from '@tnzip/data';
import { batchCount } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { Rng, TnzipError } from '@tnzip/tensor';
import type { TrainCallback } from './callback.js';
import { runFingerprint } from './fingerprint.js';
import type { JsonValue, TrainContext } from './hooks.js';
import type { EpochRecord, MetricsRecord } from './metrics.js';
import { createOptimizer, type Optimizer } from './optimizer.js';
import { checkLrPlan, type LrPlan, learningRate } from './schedule.js';
import type { ResolvedOptions, TrainData, TrainResult } from './train-options.js';
import type { StepOutcome } from './train-step.js';

/** Training sums of the current epoch: loss·count, correct, count. */
export interface EpochSums {
  loss: number;
  correct: number;
  count: number;
}

/**
 * The state of one training run that the loop advances and the callbacks read: the position
 * (epoch, step in epoch, global step), the epoch's running sums, the trainer Rng, the metrics lines
 * so far and this process's clock. Everything a checkpoint saves lives here or in the model,
 * optimizer and hooks.
 */
export class TrainRun {
  readonly optimizer: Optimizer;
  readonly plan: LrPlan;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** The options that must not change on resume. */
  readonly fingerprint: Record<string, JsonValue>;
  rng: Rng;
  epoch = 0;
  stepInEpoch = 0;
  globalStep = 0;
  sums: EpochSums = { loss: 0, correct: 0, count: 0 };
  /** Learning rate of the current (or last) step. */
  lr: number;
  readonly metrics: MetricsRecord[] = [];
  lastCheckpoint: string | null = null;
  resumedFrom: string | null = null;
  /** Wall-clock marks of this process (timing fields only: never saved). */
  readonly clock = { runStart: 0, stepsAtStart: 0, epochStart: 0, seenThisEpoch: 0 };
  private callbacks: readonly TrainCallback[] = [];

  constructor(
    readonly model: Module,
    readonly data: TrainData,
    readonly options: ResolvedOptions,
  ) {
    this.stepsPerEpoch = batchCount(data.train, options.batchSize);
    this.totalSteps = this.stepsPerEpoch * options.epochs;
    const { lr, schedule, warmupSteps } = options;
    this.plan = { lr, schedule, warmupSteps, totalSteps: this.totalSteps, stepsPerEpoch: this.stepsPerEpoch };
    checkLrPlan(this.plan);
    this.rng = new Rng(options.seed);
    this.lr = learningRate(this.plan, 0);
    this.optimizer = createOptimizer(model.namedParameters(), options.optimizer);
    this.fingerprint = runFingerprint(this);
  }

  /** Sets the callbacks that {@link TrainRun.each} and {@link TrainRun.log} call, in this order. */
  use(callbacks: readonly TrainCallback[]): void {
    this.callbacks = callbacks;
  }

  /** Calls `fn` on every callback in order, awaiting each. */
  async each(fn: (c: TrainCallback) => unknown): Promise<void> {
    for (const c of this.callbacks) await fn(c);
  }

  /** Appends a metrics line and tells the callbacks (the metrics log writes it). */
  async log(record: MetricsRecord): Promise<void> {
    this.metrics.push(record);
    await this.each((c) => c.onRecord?.(this, record));
  }

  /** What a hook sees at batch `step` of the current epoch. */
  context(step: number): TrainContext {
    const { model, epoch, globalStep, stepsPerEpoch, lr, rng } = this;
    return { model, epoch, step, globalStep, stepsPerEpoch, lr, rng };
  }

  /** The batches of the current epoch still to run: a pure function of seed, epoch and position. */
  batchOptions(): BatchOptions {
    const o = this.options;
    return {
      batchSize: o.batchSize,
      shuffle: true,
      seed: o.seed,
      epoch: this.epoch,
      startBatch: this.stepInEpoch,
      normalize: o.normalize,
      ...(o.augment === undefined ? {} : { augment: o.augment }),
      flatten: o.flatten,
    };
  }

  startEpoch(): void {
    this.lr = learningRate(this.plan, this.globalStep);
    this.clock.epochStart = performance.now();
    this.clock.seenThisEpoch = 0;
  }

  /** Counts a step whose update was made. */
  completeStep(s: StepOutcome): void {
    this.globalStep += 1;
    this.stepInEpoch = s.step + 1;
    this.sums.loss += s.loss * s.count;
    this.sums.correct += s.correct;
    this.sums.count += s.count;
    this.clock.seenThisEpoch += s.count;
  }

  /** The epoch's metrics line from its sums, `fields` (evaluation) and the clock. */
  epochRecord(fields: Partial<EpochRecord>): EpochRecord {
    const { sums, clock } = this;
    const ms = performance.now() - clock.epochStart;
    return {
      type: 'epoch',
      epoch: this.epoch,
      globalStep: this.globalStep,
      trainLoss: sums.count === 0 ? 0 : sums.loss / sums.count,
      trainAcc: sums.count === 0 ? 0 : sums.correct / sums.count,
      lr: this.lr,
      ...fields,
      imgPerSec: rate(clock.seenThisEpoch, ms),
      seconds: ms / 1000,
    };
  }

  /** Moves to the start of the next epoch. */
  nextEpoch(): void {
    this.epoch += 1;
    this.stepInEpoch = 0;
    this.sums = { loss: 0, correct: 0, count: 0 };
  }

  result(): TrainResult {
    const history = this.metrics.filter((m): m is EpochRecord => m.type === 'epoch');
    const final = history[history.length - 1];
    if (final === undefined) throw new TnzipError('INVALID_ARGUMENT', 'no epoch was run');
    return {
      history,
      final,
      globalStep: this.globalStep,
      checkpoint: this.lastCheckpoint,
      resumedFrom: this.resumedFrom,
    };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Images per second; 0 for an empty interval. */
export function rate(images: number, ms: number): number {
  return ms <= 0 ? 0 : (images * 1000) / ms;
}
