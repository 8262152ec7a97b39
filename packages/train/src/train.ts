import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Augmentation, batchCount, batches, type Normalization, type Split } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { checkInt, checkNumber, Rng, TnzipError } from '@tnzip/tensor';
import { removeStaleTemps, writeFileAtomic } from './atomic-write.js';
import { type CheckpointState, latestCheckpoint, pruneCheckpoints, writeCheckpoint } from './checkpoint.js';
import { type EvalResult, evaluate, UNIT_SCALE } from './evaluate.js';
import type { JsonValue, TrainContext, TrainHook } from './hooks.js';
import { crossEntropy, distillationLoss } from './losses.js';
import type { EpochRecord, MetricsRecord, StepRecord } from './metrics.js';
import { createOptimizer, type OptimizerConfig } from './optimizer.js';
import { checkLrPlan, type LrPlan, learningRate, type ScheduleConfig } from './schedule.js';

/** The splits {@link train} uses: `val` and `test` are evaluated after every epoch when given. */
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

/** A progress report, emitted after every training step (`phase: 'train'`) and every epoch (`'epoch'`). */
export interface ProgressEvent {
  readonly phase: 'train' | 'epoch';
  readonly epoch: number;
  readonly epochs: number;
  /** Steps of this epoch done (1-based after a step). */
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly globalStep: number;
  readonly totalSteps: number;
  /** Running mean training loss of the epoch. */
  readonly loss: number;
  /** Running training accuracy of the epoch. */
  readonly accuracy: number;
  readonly lr: number;
  readonly imgPerSec: number;
  /** Estimated seconds until training ends (from this process's pace). */
  readonly etaSeconds: number;
  /** At `'epoch'`: the epoch's record. */
  readonly record?: EpochRecord;
}

/** Options of {@link train}. */
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
  /** Continue from the newest checkpoint in `outDir` (a fresh start when there is none). */
  readonly resume?: boolean;
  /** Called after every step with the running loss, throughput and ETA. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Called after each checkpoint is written. */
  readonly onCheckpoint?: (info: { file: string; epoch: number; stepInEpoch: number; globalStep: number }) => void;
}

/** What {@link train} returns. */
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

/** Name of the metrics log inside `outDir`. */
export const METRICS_FILE = 'metrics.jsonl';
/** Name of the checkpoint folder inside `outDir`. */
export const CHECKPOINT_DIR = 'checkpoints';

interface StepStats {
  loss: number;
  correct: number;
  finite: boolean;
}

/**
 * Trains `model` in place on `data.train` with softmax cross-entropy.
 *
 * Every step: batch k of epoch e (a pure function of seed, e, k: see `batches`), forward in
 * training mode, loss = CE (label smoothing) [+ distillation] + Σ hooks' `extraLoss`, gradients of
 * every trainable parameter, the NaN/Inf guard, the optimizer update, `afterStep` hooks. After each
 * epoch `val` and `test` are evaluated and an epoch line is logged.
 *
 * With `outDir`: `metrics.jsonl` (one JSON object per line, see {@link MetricsRecord}) and
 * `checkpoints/ckpt-<step>.tnzc` every `checkpointEvery` steps and at each epoch end, each written
 * atomically. A checkpoint holds the weights and buffers, optimizer slots, the trainer Rng, hook
 * states, Dropout counters, epoch, step in epoch, global step, the epoch's running sums and every
 * metrics line so far, so that `resume: true` after a kill (even SIGKILL mid-epoch) continues
 * bit-exactly: the final weights and metrics equal those of an uninterrupted run (timing fields aside).
 *
 * @throws TnzipError `NON_FINITE` when the loss or a gradient is NaN/±Inf, naming epoch and step; the
 *   model keeps the weights from before that step (BatchNorm running statistics may have seen the bad
 *   batch) and the newest checkpoint is the last good state. `INVALID_ARGUMENT` for bad options or a
 *   checkpoint written with different options; `IO_ERROR` when `outDir` cannot be written.
 */
export async function train(model: Module, data: TrainData, options: TrainOptions): Promise<TrainResult> {
  const o = resolveOptions(options);
  const split = data.train;
  const stepsPerEpoch = batchCount(split, o.batchSize);
  if (stepsPerEpoch === 0) throw new TnzipError('INVALID_ARGUMENT', 'data.train is empty');
  const totalSteps = stepsPerEpoch * o.epochs;
  const plan: LrPlan = { lr: o.lr, schedule: o.schedule, warmupSteps: o.warmupSteps, totalSteps, stepsPerEpoch };
  checkLrPlan(plan);
  const hookNames = new Set<string>();
  for (const h of o.hooks) {
    if (typeof h?.name !== 'string' || hookNames.has(h.name))
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `hooks need unique string names, got '${String(h?.name)}' twice or missing`,
      );
    hookNames.add(h.name);
  }
  const params = model.namedParameters();
  const pathOf = new Map(params.map(([p, v]) => [v.name, p]));
  const optimizer = createOptimizer(params, o.optimizer);
  const fingerprint: Record<string, JsonValue> = {
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    seed: o.seed,
    trainCount: split.count,
    optimizer: optimizer.config as unknown as JsonValue,
    schedule: o.schedule as unknown as JsonValue,
    warmupSteps: o.warmupSteps,
    labelSmoothing: o.labelSmoothing,
    params: params.map(([p, v]) => `${p}:${v.shape.join('x')}`).join(','),
  };
  const ckptDir = o.outDir === null ? null : path.join(o.outDir, CHECKPOINT_DIR);
  const metricsFile = o.outDir === null ? null : path.join(o.outDir, METRICS_FILE);
  if (o.outDir !== null && ckptDir !== null) {
    try {
      await fs.mkdir(ckptDir, { recursive: true });
      await fs.access(o.outDir, fs.constants.W_OK);
    } catch (e) {
      optimizer.dispose();
      throw new TnzipError('IO_ERROR', `outDir '${o.outDir}' is not a writable directory: ${(e as Error).message}`, {
        cause: e,
      });
    }
    await removeStaleTemps(ckptDir);
    await removeStaleTemps(o.outDir);
  }

  let rng = new Rng(o.seed);
  let epoch0 = 0;
  let step0 = 0;
  let globalStep = 0;
  let sums = { loss: 0, correct: 0, count: 0 };
  const metrics: MetricsRecord[] = [];
  let resumedFrom: string | null = null;
  let lastCheckpoint: string | null = null;

  try {
    if (o.resume) {
      if (ckptDir === null) throw new TnzipError('INVALID_ARGUMENT', 'resume needs outDir');
      const found = await latestCheckpoint(ckptDir);
      if (found !== null) {
        const { state, tensors } = found.checkpoint;
        try {
          const diff = Object.keys(fingerprint).filter(
            (k) => JSON.stringify(fingerprint[k]) !== JSON.stringify(state.fingerprint[k]),
          );
          if (diff.length > 0) {
            throw new TnzipError(
              'INVALID_ARGUMENT',
              `cannot resume from '${found.file}': it was written with different ${diff.map((k) => `${k} (${JSON.stringify(state.fingerprint[k])}, now ${JSON.stringify(fingerprint[k])})`).join(', ')}`,
            );
          }
          restore(model, optimizer, state, tensors, o.hooks, found.file);
        } finally {
          tf.dispose([...tensors.values()]);
        }
        rng = Rng.fromState(state.rng);
        epoch0 = state.epoch;
        step0 = state.stepInEpoch;
        globalStep = state.globalStep;
        sums = { ...state.epochSums };
        metrics.push(...state.metrics);
        resumedFrom = found.file;
        lastCheckpoint = found.file;
      }
    }
    if (metricsFile !== null) await writeFileAtomic(metricsFile, metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));

    const log = async (r: MetricsRecord): Promise<void> => {
      metrics.push(r);
      // One append of one line: a reader never sees a partial line short of a crash inside write(2),
      // and a resume rewrites the file from the checkpoint anyway.
      if (metricsFile !== null) await fs.appendFile(metricsFile, `${JSON.stringify(r)}\n`);
    };
    const checkpoint = async (epoch: number, stepInEpoch: number): Promise<void> => {
      if (ckptDir === null) return;
      const state: CheckpointState = {
        epoch,
        stepInEpoch,
        globalStep,
        optimizer: { kind: optimizer.config.kind, step: optimizer.state().step },
        rng: rng.state(),
        hooks: Object.fromEntries(
          o.hooks.filter((h) => h.state !== undefined).map((h) => [h.name, (h.state as () => JsonValue)()]),
        ),
        epochSums: { ...sums },
        dropoutCalls: dropoutCalls(model),
        metrics: [...metrics],
        fingerprint,
      };
      const tensors = new Map<string, tf.Tensor>();
      for (const [p, v] of [...model.namedParameters(), ...model.namedBuffers()]) tensors.set(`model/${p}`, v);
      for (const [s, v] of optimizer.state().slots) tensors.set(`optimizer/${s}`, v);
      lastCheckpoint = await writeCheckpoint(ckptDir, state, tensors);
      await pruneCheckpoints(ckptDir, o.keepCheckpoints);
      o.onCheckpoint?.({ file: lastCheckpoint, epoch, stepInEpoch, globalStep });
    };

    const runStart = performance.now();
    const stepsAtStart = globalStep;
    for (let epoch = epoch0; epoch < o.epochs; epoch++) {
      const startBatch = epoch === epoch0 ? step0 : 0;
      const epochStart = performance.now();
      let seenHere = 0;
      let lastLogTime = epochStart;
      let lastLogSeen = 0;
      let lr = learningRate(plan, globalStep);
      const ctxAt = (step: number): TrainContext => ({ model, epoch, step, globalStep, stepsPerEpoch, lr, rng });
      if (startBatch === 0) {
        sums = { loss: 0, correct: 0, count: 0 };
        for (const h of o.hooks) await h.onEpochStart?.(ctxAt(0));
      }
      for (const b of batches(split, {
        batchSize: o.batchSize,
        shuffle: true,
        seed: o.seed,
        epoch,
        startBatch,
        normalize: o.normalize,
        ...(o.augment === undefined ? {} : { augment: o.augment }),
        flatten: o.flatten,
      })) {
        const step = b.batch;
        lr = learningRate(plan, globalStep);
        const ctx = ctxAt(step);
        const n = b.indices.length;
        let stats: StepStats;
        try {
          stats = await trainStep(model, b.x, b.y, ctx, o, optimizer, pathOf);
        } finally {
          tf.dispose([b.x, b.y]);
        }
        if (!stats.finite) {
          const msg = `training diverged at epoch ${epoch}, step ${step} (global step ${globalStep}): ${Number.isFinite(stats.loss) ? 'a gradient' : `the loss (${stats.loss})`} is not finite; the weights are those before this step${lastCheckpoint === null ? '' : ` and '${lastCheckpoint}' is the last good checkpoint`}`;
          await log({ type: 'error', code: 'NON_FINITE', message: msg, epoch, step, globalStep });
          throw new TnzipError('NON_FINITE', msg);
        }
        globalStep += 1;
        sums.loss += stats.loss * n;
        sums.correct += stats.correct;
        sums.count += n;
        seenHere += n;
        const after = { ...ctx, globalStep };
        for (const h of o.hooks) await h.afterStep?.(after);
        const now = performance.now();
        if (o.logEvery > 0 && globalStep % o.logEvery === 0) {
          const rec: StepRecord = {
            type: 'step',
            epoch,
            step,
            globalStep,
            loss: stats.loss,
            accuracy: stats.correct / n,
            lr,
            imgPerSec: rate(seenHere - lastLogSeen, now - lastLogTime),
          };
          lastLogTime = now;
          lastLogSeen = seenHere;
          await log(rec);
        }
        if (o.onProgress !== undefined) {
          const done = globalStep - stepsAtStart;
          o.onProgress({
            phase: 'train',
            epoch,
            epochs: o.epochs,
            step: step + 1,
            stepsPerEpoch,
            globalStep,
            totalSteps,
            loss: sums.loss / sums.count,
            accuracy: sums.correct / sums.count,
            lr,
            imgPerSec: rate(seenHere, now - epochStart),
            etaSeconds: ((now - runStart) / 1000 / done) * (totalSteps - globalStep),
          });
        }
        if (o.checkpointEvery > 0 && globalStep % o.checkpointEvery === 0 && step + 1 < stepsPerEpoch)
          await checkpoint(epoch, step + 1);
      }
      const ev = async (s: Split | undefined): Promise<EvalResult | null> =>
        s === undefined
          ? null
          : await evaluate(model, s, { batchSize: o.evalBatchSize, normalize: o.normalize, flatten: o.flatten });
      const val = await ev(data.val);
      const test = await ev(data.test);
      const end = performance.now();
      const record: EpochRecord = {
        type: 'epoch',
        epoch,
        globalStep,
        trainLoss: sums.count === 0 ? 0 : sums.loss / sums.count,
        trainAcc: sums.count === 0 ? 0 : sums.correct / sums.count,
        lr,
        ...(val === null ? {} : { valAcc: val.top1, valTop5: val.top5, valLoss: val.loss }),
        ...(test === null ? {} : { testAcc: test.top1, testTop5: test.top5, testLoss: test.loss }),
        imgPerSec: rate(seenHere, end - epochStart),
        seconds: (end - epochStart) / 1000,
      };
      await log(record);
      for (const h of o.hooks) await h.onEpochEnd?.({ ...ctxAt(stepsPerEpoch - 1), globalStep, metrics: record });
      sums = { loss: 0, correct: 0, count: 0 };
      await checkpoint(epoch + 1, 0);
      o.onProgress?.({
        phase: 'epoch',
        epoch,
        epochs: o.epochs,
        step: stepsPerEpoch,
        stepsPerEpoch,
        globalStep,
        totalSteps,
        loss: record.trainLoss,
        accuracy: record.trainAcc,
        lr,
        imgPerSec: record.imgPerSec,
        etaSeconds:
          globalStep === stepsAtStart
            ? 0
            : ((end - runStart) / 1000 / (globalStep - stepsAtStart)) * (totalSteps - globalStep),
        record,
      });
    }
    const history = metrics.filter((m): m is EpochRecord => m.type === 'epoch');
    const final = history[history.length - 1];
    if (final === undefined) throw new TnzipError('INVALID_ARGUMENT', 'no epoch was run');
    return { history, final, globalStep, checkpoint: lastCheckpoint, resumedFrom };
  } finally {
    optimizer.dispose();
  }
}

function rate(images: number, ms: number): number {
  return ms <= 0 ? 0 : (images * 1000) / ms;
}

/** One forward/backward/update. Leaves no tensor behind. */
async function trainStep(
  model: Module,
  x: tf.Tensor,
  y: tf.Tensor1D,
  ctx: TrainContext,
  o: Resolved,
  optimizer: ReturnType<typeof createOptimizer>,
  pathOf: Map<string, string>,
): Promise<StepStats> {
  const vars = model.namedParameters().map(([, v]) => v);
  let correct: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(x, { training: true }) as tf.Tensor2D;
    correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
    let loss: tf.Scalar = crossEntropy(logits, y, o.labelSmoothing);
    if (o.distill !== null) {
      const t = o.distill.teacher.apply(x, { training: false }) as tf.Tensor2D;
      const kd = distillationLoss(logits, t, o.distill.temperature);
      loss = tf.add(tf.mul(loss, 1 - o.distill.alpha), tf.mul(kd, o.distill.alpha)) as tf.Scalar;
    }
    for (const h of o.hooks) if (h.extraLoss !== undefined) loss = tf.add(loss, h.extraLoss(ctx)) as tf.Scalar;
    return loss;
  }, vars);
  const byPath = new Map<string, tf.Tensor>();
  for (const [name, g] of Object.entries(grads)) byPath.set(pathOf.get(name) ?? name, g);
  try {
    // One read per step: the loss, the correct count and a finiteness probe (0·g is NaN iff g has a NaN/Inf).
    const probe = tf.tidy(() => {
      let s: tf.Tensor = tf.mul(value, 0);
      for (const g of byPath.values()) s = tf.add(s, tf.sum(tf.mul(g, 0)));
      return tf.stack([value, correct as unknown as tf.Tensor, s]);
    });
    // Async: webgpu in Node has no synchronous read; on cpu/wasm the await costs a microtask.
    let values: Float32Array;
    try {
      values = (await probe.data()) as Float32Array;
    } finally {
      probe.dispose();
    }
    const [loss, nCorrect, check] = values;
    const finite = Number.isFinite(loss) && Number.isFinite(check);
    if (finite) optimizer.step(byPath, ctx.lr);
    return { loss: loss as number, correct: nCorrect as number, finite };
  } finally {
    tf.dispose([value, ...Object.values(grads), ...(correct === null ? [] : [correct as tf.Tensor])]);
  }
}

function dropoutCalls(model: Module): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [p, m] of model.namedModules()) {
    // Dropout's mask seed advances with a private call counter; saving it keeps masks identical on resume.
    if (m.kind === 'dropout') out[p] = Number(Reflect.get(m, 'calls') ?? 0);
  }
  return out;
}

function restore(
  model: Module,
  optimizer: ReturnType<typeof createOptimizer>,
  state: CheckpointState,
  tensors: Map<string, tf.Tensor>,
  hooks: readonly TrainHook[],
  file: string,
): void {
  const modelState = new Map<string, tf.Tensor>();
  const slots = new Map<string, tf.Tensor>();
  for (const [k, t] of tensors) {
    if (k.startsWith('model/')) modelState.set(k.slice(6), t);
    else if (k.startsWith('optimizer/')) slots.set(k.slice(10), t);
  }
  try {
    model.loadStateDict(modelState);
  } catch (e) {
    throw new TnzipError('CORRUPT_FILE', `checkpoint '${file}' does not fit the model: ${(e as Error).message}`, {
      cause: e,
    });
  }
  optimizer.loadState({ step: state.optimizer.step, slots });
  for (const h of hooks) {
    const s = state.hooks[h.name];
    if (s !== undefined && h.loadState !== undefined) h.loadState(s);
  }
  for (const [p, m] of model.namedModules())
    if (m.kind === 'dropout' && state.dropoutCalls[p] !== undefined) Reflect.set(m, 'calls', state.dropoutCalls[p]);
}

interface Resolved {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  warmupSteps: number;
  seed: number;
  labelSmoothing: number;
  distill: { teacher: Module; temperature: number; alpha: number } | null;
  hooks: readonly TrainHook[];
  normalize: Normalization | null;
  augment: Augmentation | undefined;
  flatten: boolean;
  evalBatchSize: number;
  outDir: string | null;
  checkpointEvery: number;
  keepCheckpoints: number;
  logEvery: number;
  resume: boolean;
  onProgress: TrainOptions['onProgress'];
  onCheckpoint: TrainOptions['onCheckpoint'];
}

function resolveOptions(o: TrainOptions): Resolved {
  checkInt(o.epochs, 'epochs', 1);
  checkInt(o.batchSize, 'batchSize', 1);
  checkNumber(o.lr, 'lr', Number.MIN_VALUE, Number.MAX_VALUE);
  const seed = o.seed ?? 0;
  checkInt(seed, 'seed', 0, 0xffffffff);
  const labelSmoothing = o.labelSmoothing ?? 0;
  checkNumber(labelSmoothing, 'labelSmoothing', 0, 0.999999);
  let distill: Resolved['distill'] = null;
  if (o.distill !== undefined) {
    const temperature = o.distill.temperature ?? 4;
    const alpha = o.distill.alpha ?? 0.5;
    checkNumber(temperature, 'distill.temperature', 1e-6, 1e6);
    checkNumber(alpha, 'distill.alpha', 0, 1);
    distill = { teacher: o.distill.teacher, temperature, alpha };
  }
  const warmupSteps = o.warmupSteps ?? 0;
  const evalBatchSize = o.evalBatchSize ?? 500;
  const checkpointEvery = o.checkpointEvery ?? 0;
  const keepCheckpoints = o.keepCheckpoints ?? 2;
  const logEvery = o.logEvery ?? 50;
  checkInt(warmupSteps, 'warmupSteps', 0);
  checkInt(evalBatchSize, 'evalBatchSize', 1);
  checkInt(checkpointEvery, 'checkpointEvery', 0);
  checkInt(keepCheckpoints, 'keepCheckpoints', 1);
  checkInt(logEvery, 'logEvery', 0);
  if (o.outDir !== undefined && (typeof o.outDir !== 'string' || o.outDir === ''))
    throw new TnzipError('INVALID_ARGUMENT', 'outDir must be a non-empty path');
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    optimizer: o.optimizer ?? { kind: 'sgd', momentum: 0.9 },
    schedule: o.schedule ?? { kind: 'constant' },
    warmupSteps,
    seed,
    labelSmoothing,
    distill,
    hooks: o.hooks ?? [],
    normalize: o.normalize === undefined ? UNIT_SCALE : o.normalize,
    augment: o.augment,
    flatten: o.flatten === true,
    evalBatchSize,
    outDir: o.outDir ?? null,
    checkpointEvery,
    keepCheckpoints,
    logEvery,
    resume: o.resume === true,
    onProgress: o.onProgress,
    onCheckpoint: o.onCheckpoint,
  };
}
