import { FactorizedModule } from '../factorized/factorized-module.js';
import type { Module } from '../module.js';

/**
 * Runs `fn` (a training run) with every factorized layer of `model` whose mode is `'factorized'`
 * switched to `'auto'`, and puts the modes back afterwards, also when `fn` throws. `'auto'` runs,
 * per layer and input, the cheaper of the factorized chain and the rebuilt kernel by MACs: the
 * same function of the same parameters (float rounding aside) and the same gradients, at the
 * lower cost. It matters when a chain costs more than the dense layer, e.g. a TT-matrix whose
 * middle rank is large (LeNet-5's fc1 at 4x fewer parameters: ranks 22, 125, 9, 17x the dense
 * layer's MACs). Layers set to `'reconstructed'` or `'auto'` and the measured per-batch choices
 * (used at inference only) are left alone; the saved model keeps the modes it had.
 */
export async function withCheapestExecution<T>(model: Module, fn: () => Promise<T>): Promise<T> {
  const switched = model
    .namedModules()
    .map(([, m]) => m)
    .filter((m): m is FactorizedModule => m instanceof FactorizedModule && m.mode === 'factorized');
  for (const m of switched) m.mode = 'auto';
  try {
    return await fn();
  } finally {
    for (const m of switched) m.mode = 'factorized';
  }
}
