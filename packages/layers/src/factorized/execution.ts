import type { ExecutionMode } from '../plan.js';

/** `'auto'` resolves to the cheaper of the two by per-example MACs (ties go to factorized). */
export function resolveMode(
  mode: ExecutionMode,
  factorizedMacs: number,
  denseMacs: number,
): 'factorized' | 'reconstructed' {
  if (mode !== 'auto') return mode;
  return factorizedMacs <= denseMacs ? 'factorized' : 'reconstructed';
}
