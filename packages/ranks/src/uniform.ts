import type { Module } from '@tnzip/layers';
import { bisectBudget } from './bisect.js';
import type { Budget } from './budget.js';
import { fillToBudget } from './fill.js';
import { finishSelection, now } from './finish.js';
import { checkFeasible, type RankProblemOptions, rankProblem, totalCost } from './problem.js';
import type { RankSelector, SelectionContext } from './selector.js';

/** Options of the baseline selectors: format, TT dims and the lowest rank. */
export type BaselineOptions = RankProblemOptions;

/**
 * Uniform ratio (papers.md §4.4): every rank is `clamp(⌈ρ·bound⌉, minRank, bound)`, one ratio ρ
 * for the whole network, bisected so the plan meets the budget; what the bisection leaves of the
 * budget then goes one rank at a time to the modes furthest below their bound in ratio
 * (`fillToBudget`), so the plan is within one rank step of the budget. Report details: `ratio`,
 * `fillSteps`, `ranks`.
 */
export function uniformSelector(options: BaselineOptions = {}): RankSelector {
  return {
    name: 'uniform',
    select(model: Module, budget: Budget, context: SelectionContext) {
      const started = now();
      const problem = rankProblem(model, budget, context, options);
      checkFeasible(problem, 'uniform');
      const ranksAt = (rho: number): number[][] =>
        problem.spaces.map((s, l) =>
          s.bounds.map((b, i) =>
            Math.min(b, Math.max((problem.minRanks[l] as number[])[i] as number, Math.ceil(rho * b))),
          ),
        );
      const found = bisectBudget({
        lo: 0,
        hi: 1,
        evaluate: ranksAt,
        cost: (r) => totalCost(problem, r),
        limit: problem.limit,
      });
      const filled = fillToBudget(
        problem,
        found.value,
        (l, i, r) => -r / ((problem.spaces[l] as (typeof problem.spaces)[number]).bounds[i] as number),
      );
      return finishSelection(model, problem, filled.ranks, context, 'uniform', started, {
        ratio: found.x,
        fillSteps: filled.steps,
      });
    },
  };
}
