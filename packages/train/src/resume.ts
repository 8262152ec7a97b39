import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ModuleState } from '@tnzip/layers';
import { Rng, TnzipError } from '@tnzip/tensor';
import { latestCheckpoint } from './checkpoint.js';
import type { CheckpointState } from './checkpoint-header.js';
import { checkFingerprint } from './fingerprint.js';
import { CHECKPOINT_DIR } from './run-files.js';
import type { TrainRun } from './train-run.js';

/**
 * Restores `run` (model weights and buffers, module states, optimizer slots, hook states, Rng,
 * position, epoch sums, metrics lines) from the newest readable checkpoint in its `outDir`; does
 * nothing when the directory holds no checkpoint file.
 *
 * @throws TnzipError `INVALID_ARGUMENT` when the checkpoint was written with other options;
 *   `CORRUPT_FILE` when every checkpoint is unreadable or the newest does not fit this run.
 */
export async function resumeRun(run: TrainRun, outDir: string): Promise<void> {
  const found = await latestCheckpoint(path.join(outDir, CHECKPOINT_DIR));
  if (found === null) return;
  const { state, tensors } = found.checkpoint;
  try {
    checkFingerprint(state.fingerprint, run.fingerprint, found.file);
    checkPosition(run, state, found.file);
    restoreModelAndOptimizer(run, state, tensors, found.file);
    restoreHooks(run, state, found.file);
  } finally {
    tf.dispose([...tensors.values()]);
  }
  run.rng = Rng.fromState(state.rng);
  run.epoch = state.epoch;
  run.stepInEpoch = state.stepInEpoch;
  run.globalStep = state.globalStep;
  run.sums = { ...state.epochSums };
  run.metrics.push(...state.metrics);
  run.resumedFrom = found.file;
  run.lastCheckpoint = found.file;
}

/** The position must be one this run passes through, with one epoch line per finished epoch. */
function checkPosition(run: TrainRun, s: CheckpointState, file: string): void {
  const spe = run.stepsPerEpoch;
  const epochLines = s.metrics.filter((m) => m.type === 'epoch').length;
  const ok =
    s.epoch <= run.options.epochs &&
    s.stepInEpoch < spe &&
    (s.epoch < run.options.epochs || s.stepInEpoch === 0) &&
    s.globalStep === s.epoch * spe + s.stepInEpoch &&
    epochLines === s.epoch &&
    s.epochSums.count <= s.stepInEpoch * run.options.batchSize &&
    (s.epochSums.count > 0 || s.epochSums.loss === 0) &&
    s.optimizer.kind === run.optimizer.config.kind;
  if (!ok)
    throw new TnzipError(
      'CORRUPT_FILE',
      `checkpoint '${file}': epoch ${s.epoch}, step ${s.stepInEpoch}, global step ${s.globalStep} (${epochLines} epoch lines, ${s.epochSums.count} examples summed, optimizer ${s.optimizer.kind}) is not a position of this run (${run.options.epochs} epochs of ${spe} steps, ${run.optimizer.config.kind})`,
    );
}

function restoreModelAndOptimizer(
  run: TrainRun,
  state: CheckpointState,
  tensors: ReadonlyMap<string, tf.Tensor>,
  file: string,
): void {
  const modelState = new Map<string, tf.Tensor>();
  const slots = new Map<string, tf.Tensor>();
  for (const [k, t] of tensors) {
    if (k.startsWith('model/')) modelState.set(k.slice(6), t);
    else if (k.startsWith('optimizer/')) slots.set(k.slice(10), t);
  }
  try {
    const states = new Map(Object.entries(state.moduleStates as Record<string, ModuleState>));
    const want = [...run.model.namedStates().keys()];
    if (want.length !== states.size || want.some((p) => !states.has(p)))
      throw new TnzipError('NOT_FOUND', `module states for [${[...states.keys()]}], the model has [${want}]`);
    run.model.loadNamedStates(states);
    run.model.loadStateDict(modelState);
  } catch (e) {
    throw new TnzipError('CORRUPT_FILE', `checkpoint '${file}' does not fit the model: ${(e as Error).message}`, {
      cause: e,
    });
  }
  run.optimizer.loadState({ step: state.optimizer.step, slots });
}

function restoreHooks(run: TrainRun, state: CheckpointState, file: string): void {
  for (const h of run.options.hooks) {
    const s = state.hooks[h.name];
    if (s === undefined || h.loadState === undefined) continue;
    try {
      h.loadState(s);
    } catch (e) {
      if (e instanceof TnzipError) throw e;
      throw new TnzipError('CORRUPT_FILE', `checkpoint '${file}': hook '${h.name}' refused its state: ${String(e)}`, {
        cause: e,
      });
    }
  }
}
