import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, batches } from '@tnzip/data';
import { type Module, makeDirectory, withCheapestExecution } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { removeStaleTemps } from './atomic-write.js';
import type { TrainCallback } from './callback.js';
import { checkpointing } from './callbacks/checkpointing.js';
import { evaluation } from './callbacks/evaluation.js';
import { metricsLog } from './callbacks/metrics-log.js';
import { nanGuard } from './callbacks/nan-guard.js';
import { progress } from './callbacks/progress.js';
import { userHooks } from './callbacks/user-hooks.js';
import { DataParallel } from './data-parallel/data-parallel.js';
import type { EpochRecord } from './metrics.js';
import { resumeRun } from './resume.js';
import { CHECKPOINT_DIR, METRICS_FILE } from './run-files.js';
import { learningRate } from './schedule.js';
import type { ResolvedOptions, TrainData, TrainOptions, TrainResult } from './train-options.js';
import { resolveOptions } from './train-options.js';
import { TrainRun } from './train-run.js';
import { type ComputedStep, computeStep } from './train-step.js';

export type { ProgressEvent } from './callbacks/progress.js';
export { CHECKPOINT_DIR, METRICS_FILE } from './run-files.js';
export type {
  CheckpointInfo,
  DistillOptions,
  TrainData,
  TrainExecution,
  TrainOptions,
  TrainResult,
} from './train-options.js';
export { TRAIN_EXECUTIONS } from './train-options.js';

/**
 * Trains `model` in place on `data.train` with softmax cross-entropy.
 *
 * Every step: batch k of epoch e (a pure function of seed, e, k: see `batches`), forward in
 * training mode, loss = CE (label smoothing) [+ distillation] + Σ hooks' `extraLoss`, gradients of
 * every trainable parameter, the NaN/Inf guard, the optimizer update, `afterStep` hooks. After each
 * epoch `val` and `test` are evaluated and an epoch line is logged.
 *
 * The loop below only moves the run forward; the rest are callbacks (`callbacks/`), called in the
 * order of `callbacksFor`: the NaN guard, evaluation, the user's hooks, the metrics log,
 * checkpointing, progress.
 *
 * With `outDir`: `metrics.jsonl` (one JSON object per line, see `MetricsRecord`) and
 * `checkpoints/ckpt-<step>.tnzc` every `checkpointEvery` steps and at each epoch end, each written
 * atomically. A checkpoint holds the weights and buffers, optimizer slots, the trainer Rng, hook
 * states, module states (Dropout counters), epoch, step in epoch, global step, the epoch's running
 * sums and every metrics line so far, so that `resume: true` after a kill (even SIGKILL mid-epoch)
 * continues bit-exactly: the final weights and metrics equal those of an uninterrupted run (timing
 * fields aside).
 *
 * With `workers` > 1 the gradients come from worker threads (see `DataParallel`); everything else
 * stays in this thread, so checkpoints and exact resume work as above, for a given worker count.
 *
 * Factorized layers in `'factorized'` mode train in their cheaper execution by MACs unless
 * `execution: 'as-set'` (see {@link TrainOptions.execution}); their modes are restored afterwards.
 *
 * @throws TnzipError `NON_FINITE` when the loss or a gradient is NaN/±Inf, naming epoch and step; the
 *   model keeps the weights from before that step (BatchNorm running statistics may have seen the bad
 *   batch) and the newest checkpoint is the last good state. `INVALID_ARGUMENT` for bad options, an
 *   empty split or a checkpoint written with different options; `CORRUPT_FILE` when `resume` finds
 *   checkpoint files but none it can resume from; `IO_ERROR` when `outDir` cannot be written.
 */
export async function train(model: Module, data: TrainData, options: TrainOptions): Promise<TrainResult> {
  const o = resolveOptions(options, data);
  return o.execution === 'cheapest'
    ? withCheapestExecution(model, () => trainResolved(model, data, o))
    : trainResolved(model, data, o);
}

/** {@link train} with its options checked and the layers' executions set. */
async function trainResolved(model: Module, data: TrainData, o: ResolvedOptions): Promise<TrainResult> {
  const run = new TrainRun(model, data, o);
  let parallel: DataParallel | null = null;
  try {
    if (o.outDir !== null) await prepareOutDir(o.outDir);
    if (o.resume && o.outDir !== null) await resumeRun(run, o.outDir);
    if (o.workers > 1) parallel = await DataParallel.start(model, o.workers, o);
    run.use(callbacksFor(o));
    Object.assign(run.clock, { runStart: performance.now(), stepsAtStart: run.globalStep });
    await run.each((c) => c.onRunStart?.(run));
    while (run.epoch < o.epochs) {
      run.startEpoch();
      await run.each((c) => c.onEpochStart?.(run));
      for (const b of batches(data.train, run.batchOptions())) await trainOnBatch(run, b, parallel);
      await endEpoch(run);
    }
    return run.result();
  } finally {
    run.dispose();
    await parallel?.dispose();
  }
}

/** The loop's callbacks, in calling order (the metrics line of a step lands before its checkpoint). */
function callbacksFor(o: ResolvedOptions): TrainCallback[] {
  const out = o.outDir;
  return [
    nanGuard(),
    evaluation(),
    userHooks(o.hooks),
    metricsLog(out === null ? null : path.join(out, METRICS_FILE), o.logEvery),
    ...(out === null
      ? []
      : [
          checkpointing(path.join(out, CHECKPOINT_DIR), {
            every: o.checkpointEvery,
            keep: o.keepCheckpoints,
            onCheckpoint: o.onCheckpoint,
          }),
        ]),
    ...(o.onProgress === undefined ? [] : [progress(o.onProgress)]),
  ];
}

/** One step: gradients, the callbacks' veto (NaN guard), the update, then the step's callbacks. */
async function trainOnBatch(run: TrainRun, b: Batch, parallel: DataParallel | null): Promise<void> {
  run.lr = learningRate(run.plan, run.globalStep);
  let step: ComputedStep;
  try {
    step =
      parallel === null
        ? await computeStep(run, b.x, b.y, b.batch)
        : await parallel.computeStep(run, b.x, b.y, b.batch);
  } finally {
    tf.dispose([b.x, b.y]);
  }
  try {
    await run.each((c) => c.beforeUpdate?.(run, step));
    run.optimizer.step(step.grads, step.lr);
  } finally {
    tf.dispose([...step.grads.values()]);
  }
  run.completeStep(step);
  await run.each((c) => c.afterStep?.(run, step));
}

/** Evaluation fields, the epoch's line, then the epoch-end callbacks (checkpoint, progress). */
async function endEpoch(run: TrainRun): Promise<void> {
  const fields: Partial<EpochRecord> = {};
  await run.each(async (c) => Object.assign(fields, await c.epochFields?.(run)));
  const record = run.epochRecord(fields);
  await run.log(record);
  run.nextEpoch();
  await run.each((c) => c.onEpochEnd?.(run, record));
}

/** Creates `outDir/checkpoints`, checks that `outDir` is writable and removes temp files of a killed writer. */
async function prepareOutDir(outDir: string): Promise<void> {
  const ckptDir = path.join(outDir, CHECKPOINT_DIR);
  try {
    await makeDirectory(ckptDir); // fs.mkdir recursive spins forever on procfs
    await fs.access(outDir, fs.constants.W_OK);
  } catch (e) {
    throw new TnzipError('IO_ERROR', `outDir '${outDir}' is not a writable directory: ${(e as Error).message}`, {
      cause: e,
    });
  }
  await removeStaleTemps(ckptDir);
  await removeStaleTemps(outDir);
}
