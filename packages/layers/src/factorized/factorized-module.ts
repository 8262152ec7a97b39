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

  /** The mode actually run for this input shape (`'auto'` resolved by MACs). */
  effectiveMode(inputShape: Shape): 'factorized' | 'reconstructed' {
    return effectiveModeOf(this.mode, this.kindCost(inputShape));
  }

  /**
   * Params, MACs per example and output shape: the factorized MACs, or the dense MACs when the
   * effective mode is 'reconstructed' (the per-batch kernel rebuild is not counted per example).
   */
  cost(inputShape: Shape): Cost {
    return costInMode(this.mode, this.kindCost(inputShape));
  }
}
