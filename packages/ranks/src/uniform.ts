import { baselineSelector, scaledRanks } from './baseline-selector.js';
import type { RankProblemOptions } from './problem.js';
import type { RankSelector } from './selector.js';

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
  return baselineSelector('uniform', options, (problem) => ({
    lo: 0,
    hi: 1,
    ranksAt: (rho) => scaledRanks(problem, rho, (_l, _i, b) => b),
    priority: (l, i, r) => -r / ((problem.spaces[l] as (typeof problem.spaces)[number]).bounds[i] as number),
    details: (rho) => ({ ratio: rho }),
  }));
}
