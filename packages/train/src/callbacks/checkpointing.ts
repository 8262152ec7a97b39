import type * as tf from '@tensorflow/tfjs-core';
import type { TrainCallback } from '../callback.js';
import { pruneCheckpoints, writeCheckpoint } from '../checkpoint.js';
import type { CheckpointState } from '../checkpoint-header.js';
import type { JsonValue } from '../hooks.js';
import type { CheckpointInfo } from '../train-options.js';
import type { TrainRun } from '../train-run.js';

/** Options of {@link checkpointing}. */
export interface CheckpointingOptions {
  /** Also checkpoint every this many global steps (0: only at epoch ends). */
  readonly every: number;
  /** Checkpoints kept (>= 1). */
  readonly keep: number;
  readonly onCheckpoint?: ((info: CheckpointInfo) => void) | undefined;
}

/**
 * Writes `dir/ckpt-<step>.tnzc` atomically every `every` global steps (not at an epoch's last
 * step: the epoch-end checkpoint follows it) and at each epoch end, keeps the newest `keep`, and
 * records the newest in `run.lastCheckpoint`.
 */
export function checkpointing(dir: string, options: CheckpointingOptions): TrainCallback {
  const save = async (run: TrainRun): Promise<void> => {
    const { state, tensors } = snapshot(run);
    run.lastCheckpoint = await writeCheckpoint(dir, state, tensors);
    await pruneCheckpoints(dir, options.keep);
    const { epoch, stepInEpoch, globalStep } = run;
    options.onCheckpoint?.({ file: run.lastCheckpoint, epoch, stepInEpoch, globalStep });
  };
  return {
    afterStep: async (run) => {
      if (options.every > 0 && run.globalStep % options.every === 0 && run.stepInEpoch < run.stepsPerEpoch)
        await save(run);
    },
    onEpochEnd: save,
  };
}

/**
 * Everything a bit-exact resume needs, at the run's current position: the JSON state and the
 * tensors (`model/<path>` weights and buffers, `optimizer/<slot>`), which stay owned by the run.
 */
export function snapshot(run: TrainRun): { state: CheckpointState; tensors: Map<string, tf.Tensor> } {
  const opt = run.optimizer.state();
  const hooks: Record<string, JsonValue> = {};
  for (const h of run.options.hooks) if (h.state !== undefined) hooks[h.name] = h.state();
  const state: CheckpointState = {
    epoch: run.epoch,
    stepInEpoch: run.stepInEpoch,
    globalStep: run.globalStep,
    optimizer: { kind: run.optimizer.config.kind, step: opt.step },
    rng: run.rng.state(),
    hooks,
    epochSums: { ...run.sums },
    moduleStates: Object.fromEntries(run.model.namedStates()),
    metrics: [...run.metrics],
    fingerprint: run.fingerprint,
  };
  const tensors = new Map<string, tf.Tensor>();
  for (const [p, v] of [...run.model.namedParameters(), ...run.model.namedBuffers()]) tensors.set(`model/${p}`, v);
  for (const [s, v] of opt.slots) tensors.set(`optimizer/${s}`, v);
  return { state, tensors };
}
