import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@tnzip/layers';
import type { Rng } from '@tnzip/tensor';
import type { EpochRecord } from './metrics.js';

/** What a {@link TrainHook} sees. */
export interface TrainContext {
  readonly model: Module;
  /** 0-based epoch. */
  readonly epoch: number;
  /** 0-based step (batch index) within the epoch. */
  readonly step: number;
  /** Steps completed before this one, over the whole run. */
  readonly globalStep: number;
  readonly stepsPerEpoch: number;
  /** Learning rate of this step (at epoch boundaries: of the step that starts / ended the epoch). */
  readonly lr: number;
  /** The trainer's seeded generator, saved in every checkpoint: draw hook randomness from it. */
  readonly rng: Rng;
}

/** Context of {@link TrainHook.onEpochEnd}: the epoch's metrics as logged. */
export interface EpochEndContext extends TrainContext {
  readonly metrics: EpochRecord;
}

/** JSON a hook saves in checkpoints. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Extends the training loop (BATUDE's ADMM updates plug in here). Call order per epoch:
 * `onEpochStart` → for each step (`extraLoss` inside the gradient computation, then the optimizer
 * update, then `afterStep`) → evaluation → `onEpochEnd` → the epoch's checkpoint. Hooks run in array
 * order. An epoch resumed mid-way does not call `onEpochStart` again (its effect is in the checkpoint).
 */
export interface TrainHook {
  /** Unique among the hooks of a run; keys the hook's state in checkpoints. */
  readonly name: string;
  /** Before the epoch's first step (not again for an epoch resumed mid-way). */
  onEpochStart?(ctx: TrainContext): void | Promise<void>;
  /** After the epoch's evaluation, before its checkpoint. */
  onEpochEnd?(ctx: EpochEndContext): void | Promise<void>;
  /**
   * A scalar added to the loss inside the gradient computation, so its gradient reaches the
   * parameters (e.g. BATUDE's (ρ/2)‖W − Z + U‖²). Runs inside a tidy: return a fresh scalar.
   */
  extraLoss?(ctx: TrainContext): tf.Scalar;
  /** After the optimizer update of every step; the loop awaits a returned Promise before the next step. */
  afterStep?(ctx: TrainContext): void | Promise<void>;
  /** The hook's state for a checkpoint (JSON). */
  state?(): JsonValue;
  /** Restores {@link TrainHook.state} when resuming. */
  loadState?(state: JsonValue): void;
}
