import type { Cost, FactorizationPlan, Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { type Budget, type BudgetMetric, checkBudget } from './budget.js';
import { compressibleLayers } from './compressible.js';
import { type LayerSpace, type LayerSpaceOptions, layerSpace } from './layer-space.js';
import type { SelectionContext } from './selector.js';

/** Ranks of every layer of a problem: `ranks[l][i]` is rank i of `spaces[l]`. */
export type RankTable = readonly (readonly number[])[];

/**
 * A rank-allocation problem: choose `ranks[l][i]` in `[minRanks[l][i], spaces[l].bounds[i]]`
 * with `Σ_l cost_l(ranks[l]) ≤ limit` (by `metric`), `limit = budget.target · denseTotal`.
 */
export interface RankProblem {
  readonly spaces: readonly LayerSpace[];
  readonly budget: Budget;
  readonly metric: BudgetMetric;
  /** Dense cost of the compressible layers, by `metric`. */
  readonly denseTotal: number;
  /** The most the planned compressible layers may cost, by `metric`. */
  readonly limit: number;
  /** Lowest rank of each mode: `min(minRank, bound)`. */
  readonly minRanks: RankTable;
}

/** Options of {@link rankProblem}. */
export interface RankProblemOptions extends LayerSpaceOptions {
  /** Lowest rank any mode may take (clamped to the mode's bound). Default 1. */
  readonly minRank?: number;
}

/** `cost` by `metric`. */
export function metricOf(cost: Cost, metric: BudgetMetric): number {
  return metric === 'params' ? cost.params : cost.macs;
}

/**
 * Sets up the rank problem of `model` for `budget`: validates the budget (INVALID_BUDGET), finds
 * the compressible layers of `context` and builds their {@link LayerSpace}s.
 */
export function rankProblem(
  model: Module,
  budget: Budget,
  context: SelectionContext,
  options: RankProblemOptions = {},
): RankProblem {
  checkBudget(budget);
  if (context === null || typeof context !== 'object' || !Array.isArray(context.inputShape)) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      'context.inputShape must be the input shape of one example (no batch axis), e.g. [28, 28, 1]',
    );
  }
  const minRank = options.minRank ?? 1;
  if (!Number.isInteger(minRank) || minRank < 1)
    throw new TnzipError('INVALID_ARGUMENT', `options.minRank must be an integer >= 1, got ${String(minRank)}`);
  const spaces = compressibleLayers(model, context.inputShape, context.layers).map((c) => layerSpace(c, options));
  const metric = budget.metric;
  const denseTotal = spaces.reduce((a, s) => a + metricOf(s.dense, metric), 0);
  return {
    spaces,
    budget,
    metric,
    denseTotal,
    limit: budget.target * denseTotal,
    minRanks: spaces.map((s) => s.bounds.map((b) => Math.min(minRank, b))),
  };
}

/** Total cost of `ranks` by the problem's metric. */
export function totalCost(problem: RankProblem, ranks: RankTable): number {
  return problem.spaces.reduce((a, s, l) => a + metricOf(s.cost(ranks[l] as readonly number[]), problem.metric), 0);
}

/** The plan of `ranks`: one entry per compressible layer. */
export function planOf(problem: RankProblem, ranks: RankTable): FactorizationPlan {
  const plan: Record<string, ReturnType<LayerSpace['plan']>> = {};
  problem.spaces.forEach((s, l) => {
    plan[s.path] = s.plan(ranks[l] as readonly number[]);
  });
  return plan;
}

/**
 * Throws INVALID_BUDGET when even the smallest plan (every rank at its minimum) exceeds the
 * budget, naming the smallest fraction that can be reached.
 */
export function checkFeasible(problem: RankProblem, method: string): void {
  const least = totalCost(problem, problem.minRanks);
  if (least > problem.limit) {
    const frac = least / problem.denseTotal;
    throw new TnzipError(
      'INVALID_BUDGET',
      `${method}: budget target ${problem.budget.target} (${problem.metric}) is below the smallest plan of this format: ${frac.toPrecision(4)} of the dense cost (${(1 / frac).toFixed(2)}x) with every rank at its minimum`,
    );
  }
}
