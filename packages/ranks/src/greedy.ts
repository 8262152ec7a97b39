import type { Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import type { Budget } from './budget.js';
import { finishSelection, now } from './finish.js';
import { greedyAllocate } from './greedy-allocate.js';
import { checkFeasible, rankProblem } from './problem.js';
import type { RankSelector, SelectionContext } from './selector.js';
import { layerSpectra } from './spectra.js';
import type { BaselineOptions } from './uniform.js';

/** Options of {@link greedySelector}. */
export interface GreedyOptions extends BaselineOptions {
  /**
   * How singular values of different unfoldings are made comparable [P, papers.md §1.2]:
   * divided by the unfolding's Frobenius norm ('frobenius', default), by its largest singular
   * value ('max'), or not at all ('none').
   */
  readonly normalize?: 'frobenius' | 'max' | 'none';
}

/**
 * Data-free GreedyBudget (papers.md §1.2 and §4.4): on the pretrained weights, every component i
 * of every unfolding (Tucker-2: mode S and mode T; TT: the sequential unfoldings; matrix: W) is a
 * candidate worth σ_i/‖A‖ per unit of its marginal cost (by the budget's metric); the greedy
 * allocation by marginal cost (`greedyAllocate`) keeps the best ones while the plan fits,
 * each mode keeping a prefix, from the minimum ranks up. Report details: `thresholds` (per layer,
 * the smallest kept σ of each unfolding — BATUDE's τ), `accepted`, `normalize`.
 */
export function greedySelector(options: GreedyOptions = {}): RankSelector {
  const normalize = options.normalize ?? 'frobenius';
  if (normalize !== 'frobenius' && normalize !== 'max' && normalize !== 'none') {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `options.normalize must be 'frobenius', 'max' or 'none', got ${JSON.stringify(normalize)}`,
    );
  }
  return {
    name: 'greedy',
    select(model: Module, budget: Budget, context: SelectionContext) {
      const started = now();
      const problem = rankProblem(model, budget, context, options);
      checkFeasible(problem, 'greedy');
      const spectra = problem.spaces.map(layerSpectra);
      const scale = spectra.map((modes) =>
        modes.map((s) => {
          if (normalize === 'none') return 1;
          const n = normalize === 'max' ? (s[0] as number) : Math.sqrt(s.reduce((a, v) => a + v * v, 0));
          return n > 0 ? 1 / n : 0;
        }),
      );
      const result = greedyAllocate(problem, {
        value: (l, i, k) =>
          (((spectra[l] as Float64Array[])[i] as Float64Array)[k] as number) * ((scale[l] as number[])[i] as number),
      });
      const thresholds: Record<string, number[]> = {};
      problem.spaces.forEach((s, l) => {
        thresholds[s.path] = (result.ranks[l] as number[]).map(
          (r, i) => ((spectra[l] as Float64Array[])[i] as Float64Array)[r - 1] as number,
        );
      });
      return finishSelection(model, problem, result.ranks, context, 'greedy', started, {
        thresholds,
        accepted: result.accepted,
        normalize,
      });
    },
  };
}
