import { baselineSelector } from './baseline-selector.js';
import type { RankSelector } from './selector.js';
import { layerSpectra } from './spectra.js';
import type { BaselineOptions } from './uniform.js';

/**
 * The smallest `r ≥ minRank` with `Σ_{i≤r} σ_i² ≥ τ·Σ_i σ_i²`, from the cumulative energies
 * `cum` (`cum[r−1] = Σ_{i≤r} σ_i²`).
 */
export function energyRank(cum: Float64Array, tau: number, minRank: number): number {
  const total = cum[cum.length - 1] as number;
  const need = tau * total;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cum[mid] as number) >= need) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(minRank, lo + 1);
}

/**
 * Energy threshold (papers.md §4.4): each rank is the smallest `r` with
 * `Σ_{i≤r} σ_i² ≥ τ·Σ_i σ_i²` over the singular values of its unfolding (Tucker-2: the mode-S and
 * mode-T unfoldings; TT: the sequential TT-SVD unfoldings; matrix: W), one τ for the whole
 * network, bisected on [0, 1] to meet the budget; the rest of the budget then goes one rank at a
 * time to the mode whose next component carries the largest energy share σ²_{r+1}/Σσ²
 * (`fillToBudget`). Report details: `tau`, `fillSteps`.
 */
export function energySelector(options: BaselineOptions = {}): RankSelector {
  return baselineSelector('energy', options, (problem) => {
    const spectra = problem.spaces.map(layerSpectra);
    const cums = spectra.map((modes) => modes.map(cumulativeEnergy));
    return {
      lo: 0,
      hi: 1,
      ranksAt: (tau) =>
        cums.map((modes, l) =>
          modes.map((c, i) => Math.min(c.length, energyRank(c, tau, (problem.minRanks[l] as number[])[i] as number))),
        ),
      priority: (l, i, r) => {
        const c = (cums[l] as Float64Array[])[i] as Float64Array;
        const total = c[c.length - 1] as number;
        const s = ((spectra[l] as Float64Array[])[i] as Float64Array)[r] as number;
        return total > 0 ? (s * s) / total : 0;
      },
      details: (tau) => ({ tau }),
    };
  });
}

/** `c[r−1] = Σ_{i≤r} σ_i²` of singular values `s`. */
export function cumulativeEnergy(s: Float64Array): Float64Array {
  const c = new Float64Array(s.length);
  let acc = 0;
  for (let i = 0; i < s.length; i++) {
    acc += (s[i] as number) ** 2;
    c[i] = acc;
  }
  return c;
}
