import { baselineSelector, scaledRanks } from './baseline-selector.js';
import { evbmfFromSingularValues } from './evbmf.js';
import { ranksByLayer } from './finish.js';
import type { RankSelector } from './selector.js';
import { layerSpectra } from './spectra.js';
import type { BaselineOptions } from './uniform.js';

/**
 * VBMF (Kim et al., ICLR 2016; papers.md §4.1): EVBMF on every unfolding (Tucker-2: mode S and
 * mode T, as the reference `estimate_ranks`; TT: each sequential unfolding; matrix: W) gives
 * data-free, budget-unaware ranks R_VBMF (at least 1). To meet the budget they are scaled by one
 * global factor c — `rank = clamp(⌈c·R_VBMF⌉, minRank, bound)` — bisected on
 * `[0, max bound/R_VBMF]` [P, papers.md §4.1 note]; the rest of the budget goes one rank at a
 * time to the mode with the smallest `rank/R_VBMF` (`fillToBudget`). Report details: `scale`
 * (c), `vbmfRanks`, `fillSteps`.
 */
export function vbmfSelector(options: BaselineOptions = {}): RankSelector {
  return baselineSelector('vbmf', options, (problem) => {
    const vb = problem.spaces.map((space) =>
      layerSpectra(space).map((s, i) => {
        const [rows, cols] = space.unfoldingShapes[i] as readonly [number, number];
        return Math.max(1, evbmfFromSingularValues(s, Math.min(rows, cols), Math.max(rows, cols)).rank);
      }),
    );
    const vbAt = (l: number, i: number): number => (vb[l] as number[])[i] as number;
    let hi = 1;
    problem.spaces.forEach((s, l) => {
      s.bounds.forEach((b, i) => {
        hi = Math.max(hi, b / vbAt(l, i));
      });
    });
    return {
      lo: 0,
      hi,
      ranksAt: (c) => scaledRanks(problem, c, vbAt),
      priority: (l, i, r) => -r / vbAt(l, i),
      details: (c) => ({ scale: c, vbmfRanks: ranksByLayer(problem, vb) }),
    };
  });
}
