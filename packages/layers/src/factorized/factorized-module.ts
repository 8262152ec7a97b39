import * as tf from '@tensorflow/tfjs-core';
import { releaseFold } from '../layers/fusion.js';
import { type Cost, Module, type Shape } from '../module.js';
import type { ExecutionMode } from '../plan.js';
import { costInMode, effectiveModeOf } from './execution.js';
import type { KindCost } from './kind.js';

/**
 * Base of the factorized layers with execution modes (Tucker-2, CP, TT): `cost()` and
 * `effectiveMode()` come from the one cost formula of the layer's kind ({@link kindCost}, the
 * function its `FactorizedKind.cost` evaluates too).
 */
export abstract class FactorizedModule extends Module {
  /** Execution mode; may be changed at any time. */
  abstract mode: ExecutionMode;

  /** This layer's cost in both executions for one example of `inputShape` (its kind's formula). */
  protected abstract kindCost(inputShape: Shape): KindCost;

  /**
   * Executions measured per batch size (`chooseExecutions` / `applyExecutions`): `modes[i]` is
   * the faster at `batches[i]` (ascending). At inference (no gradient recorded) a batch of n runs
   * the mode of the measured batch nearest to n on a log scale, over `mode`; null: `mode` always.
   */
  batchModes: {
    readonly batches: readonly number[];
    readonly modes: readonly ('factorized' | 'reconstructed')[];
  } | null = null;

  /**
   * The mode actually run for this input shape (`'auto'` resolved by MACs), or for a batch of
   * `batch` examples the measured {@link batchModes} when set and no gradient is recorded.
   */
  effectiveMode(inputShape: Shape, batch?: number): 'factorized' | 'reconstructed' {
    const bm = this.batchModes;
    if (batch !== undefined && bm !== null && bm.modes.length > 0 && tf.engine().state.gradientDepth === 0) {
      let best = 0;
      for (let i = 1; i < bm.batches.length; i++)
        if (
          Math.abs(Math.log(batch / (bm.batches[i] as number))) <
          Math.abs(Math.log(batch / (bm.batches[best] as number)))
        )
          best = i;
      return bm.modes[best] as 'factorized' | 'reconstructed';
    }
    return effectiveModeOf(this.mode, this.kindCost(inputShape));
  }

  /**
   * Params, MACs per example and output shape: the factorized MACs, or the dense MACs when the
   * effective mode is 'reconstructed' (the per-batch kernel rebuild is not counted per example).
   */
  cost(inputShape: Shape): Cost {
    return costInMode(this.mode, this.kindCost(inputShape));
  }

  /** Also frees the cached reconstructed kernel, if any. */
  override dispose(): void {
    releaseFold(this);
    super.dispose();
  }
}
