import type { Cost } from '../module.js';
import type { ExecutionMode } from '../plan.js';
import type { KindCost } from './kind.js';

/** `'auto'` resolves to the cheaper of the two by per-example MACs (ties go to factorized). */
export function resolveMode(
  mode: ExecutionMode,
  factorizedMacs: number,
  denseMacs: number,
): 'factorized' | 'reconstructed' {
  if (mode !== 'auto') return mode;
  return factorizedMacs <= denseMacs ? 'factorized' : 'reconstructed';
}

/** The execution a layer of cost `k` runs in `mode` (`'auto'` resolved by MACs). */
export function effectiveModeOf(mode: ExecutionMode, k: KindCost): 'factorized' | 'reconstructed' {
  return resolveMode(mode, k.factorizedMacs, k.denseMacs);
}

/**
 * The {@link Cost} of a layer of cost `k` run in `mode`: the factorized MACs, or the dense MACs
 * when the effective mode is 'reconstructed' (the per-batch kernel rebuild is not counted per
 * example). Every factorized layer's `cost()` and every kind's `cost` end here.
 */
export function costInMode(mode: ExecutionMode, k: KindCost): Cost {
  const macs = effectiveModeOf(mode, k) === 'factorized' ? k.factorizedMacs : k.denseMacs;
  return { params: k.params, macs, outputShape: k.outputShape };
}
