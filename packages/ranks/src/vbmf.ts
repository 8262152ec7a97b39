import type { Module } from '@tnzip/layers';
import { bisectBudget } from './bisect.js';
import type { Budget } from './budget.js';
import { evbmfFromSingularValues } from './evbmf.js';
import { fillToBudget } from './fill.js';
import { finishSelection, now, ranksByLayer } from './finish.js';
import { checkFeasible, rankProblem, totalCost } from './problem.js';
import type { RankSelector, SelectionContext } from './selector.js';
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
  return {
    name: 'vbmf',
    select(model: Module, budget: Budget, context: SelectionContext) {
      const started = now();
      const problem = rankProblem(model, budget, context, options);
      checkFeasible(problem, 'vbmf');
      const vb = problem.spaces.map((space) => {
        const spectra = layerSpectra(space);
        return spectra.map((s, i) => {
          const [rows, cols] = space.unfoldingShapes[i] as readonly [number, number];
          return Math.max(1, evbmfFromSingularValues(s, Math.min(rows, cols), Math.max(rows, cols)).rank);
        });
      });
      let hi = 1;
      problem.spaces.forEach((s, l) => {
        s.bounds.forEach((b, i) => {
          hi = Math.max(hi, b / ((vb[l] as number[])[i] as number));
        });
      });
      const ranksAt = (c: number): number[][] =>
        problem.spaces.map((s, l) =>
          s.bounds.map((b, i) =>
            Math.min(
              b,
              Math.max(
                (problem.minRanks[l] as number[])[i] as number,
                Math.ceil(c * ((vb[l] as number[])[i] as number)),
              ),
            ),
          ),
        );
      const found = bisectBudget({
        lo: 0,
        hi,
        evaluate: ranksAt,
        cost: (r) => totalCost(problem, r),
        limit: problem.limit,
      });
      const filled = fillToBudget(problem, found.value, (l, i, r) => -r / ((vb[l] as number[])[i] as number));
      return finishSelection(model, problem, filled.ranks, context, 'vbmf', started, {
        scale: found.x,
        vbmfRanks: ranksByLayer(problem, vb),
        fillSteps: filled.steps,
      });
    },
  };
}
