import * as tf from '@tensorflow/tfjs-core';
import { type Epilogue, type Fusible, releaseFold } from '../layers/fusion.js';
import { type Cost, type ForwardContext, Module, type Shape } from '../module.js';
import type { ExecutionMode } from '../plan.js';
import { costInMode, effectiveModeOf } from './execution.js';
import type { KindCost } from './kind.js';
import type { FusedActivation } from './reconstructed-forward.js';

/**
 * Base of the factorized layers with execution modes (Tucker-2, CP, TT): `cost()` and
 * `effectiveMode()` come from the one cost formula of the layer's kind ({@link kindCost}, the
 * function its `FactorizedKind.cost` evaluates too).
 */
export abstract class FactorizedModule extends Module implements Fusible {
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

  /**
   * The reconstructed execution of `x` with `activation` fused into its one kernel, or null when
   * the factorized chain runs for this input (or the kind has no reconstructed execution).
   */
  protected reconstructedCall(_x: tf.Tensor, _activation: FusedActivation): tf.Tensor | null {
    return null;
  }

  /** No BatchNorm is folded into a factorized layer (a ReLU alone is fused). */
  fusedOutFeatures(): number | null {
    return null;
  }

  /**
   * At inference, a following ReLU runs inside the reconstructed execution's fused conv / matMul
   * (as the dense layer fuses it); null — the modules run one by one — under the factorized
   * chain or with a BatchNorm to fold.
   */
  forwardFused(x: tf.Tensor, _ctx: ForwardContext, epilogue: Epilogue): tf.Tensor | null {
    return epilogue.bn === null && epilogue.relu ? this.reconstructedCall(x, 'relu') : null;
  }

  /** Also frees the cached reconstructed kernel, if any. */
  override dispose(): void {
    releaseFold(this);
    super.dispose();
  }
}
