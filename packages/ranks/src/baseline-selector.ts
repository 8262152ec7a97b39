import type { Module } from '@tnzip/layers';
import { bisectBudget } from './bisect.js';
import type { Budget } from './budget.js';
import { fillToBudget } from './fill.js';
import { finishSelection, now } from './finish.js';
import {
  checkFeasible,
  type RankProblem,
  type RankProblemOptions,
  type RankTable,
  rankProblem,
  totalCost,
} from './problem.js';
import type { RankSelector, SelectionContext } from './selector.js';

/** How a baseline method ranks one problem: a one-parameter family of rank tables and a fill order. */
export interface BaselineRule {
  /** Bracket of the parameter, bisected so the table meets the budget. */
  readonly lo: number;
  readonly hi: number;
  /** The rank table at parameter `x` (monotone in cost). */
  ranksAt(x: number): RankTable;
  /** Fill priority of raising rank `i` of layer `l` from `r` (the highest goes first). */
  priority(l: number, i: number, r: number): number;
  /** Report details besides the fill steps, given the parameter found. */
  details(x: number): Record<string, unknown>;
}

/**
 * The skeleton the baseline selectors share (uniform, energy, VBMF): build the rank problem,
 * check it is feasible, bisect the method's one parameter to meet the budget, give what is left
 * of the budget one rank at a time by the method's priority (`fillToBudget`), report. `rule`
 * computes the method's family from the problem (its spectra, its VBMF ranks).
 */
export function baselineSelector(
  name: string,
  options: RankProblemOptions,
  rule: (problem: RankProblem) => BaselineRule,
): RankSelector {
  return {
    name,
    select(model: Module, budget: Budget, context: SelectionContext) {
      const started = now();
      const problem = rankProblem(model, budget, context, options);
      checkFeasible(problem, name);
      const r = rule(problem);
      const found = bisectBudget({
        lo: r.lo,
        hi: r.hi,
        evaluate: (x) => r.ranksAt(x),
        cost: (t) => totalCost(problem, t),
        limit: problem.limit,
      });
      const filled = fillToBudget(problem, found.value, (l, i, rank) => r.priority(l, i, rank));
      return finishSelection(model, problem, filled.ranks, context, name, started, {
        ...r.details(found.x),
        fillSteps: filled.steps,
      });
    },
  };
}

/** `clamp(⌈x·scale[l][i]⌉, minRank, bound)` for every rank: the family of uniform and VBMF. */
export function scaledRanks(
  problem: RankProblem,
  x: number,
  scale: (l: number, i: number, bound: number) => number,
): number[][] {
  return problem.spaces.map((s, l) =>
    s.bounds.map((b, i) =>
      Math.min(b, Math.max((problem.minRanks[l] as number[])[i] as number, Math.ceil(x * scale(l, i, b)))),
    ),
  );
}
