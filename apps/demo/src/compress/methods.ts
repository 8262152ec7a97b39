import { energySelector, greedySelector, lwiqSelector, type RankSelector, vbmfSelector } from '@tnzip/ranks';
import type { MethodName } from './protocol.js';

/**
 * One selector per method, made once per worker: the selectors cache spectra (per weight) and LWIQ's
 * scores (per model and calibration set), so after the first plan every budget only re-plans.
 * Energy, VBMF and greedy plan Tucker-2 / matrix ranks; LWIQ plans TT ranks (its default). As in the
 * CLI (`--dense-fallback metric`), a layer whose planned form would cost more than its dense weight
 * by the budget's metric stays dense.
 */
export function makeSelectors(): Record<MethodName, RankSelector> {
  return {
    energy: energySelector({ denseFallback: 'metric' }),
    vbmf: vbmfSelector({ denseFallback: 'metric' }),
    greedy: greedySelector({ denseFallback: 'metric' }),
    lwiq: lwiqSelector({ denseFallback: 'metric' }),
  };
}
