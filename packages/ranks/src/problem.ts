import type { FactorizationPlan, LayerPlan, Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { type Budget, budgetLimit, type CheckedBudget, type CostMetric, checkBudget, metricOf } from './budget.js';
import { compressibleLayers } from './compressible.js';
import { type LayerSpace, type LayerSpaceOptions, layerSpace } from './layer-space.js';
import type { SelectionContext } from './selector.js';

/** Ranks of every layer of a problem: `ranks[l][i]` is rank i of `spaces[l]`. */
export type RankTable = readonly (readonly number[])[];

/**
 * When a layer's planned factorization stays factorized ({@link RankProblemOptions.denseFallback}):
 * - `'both'`: only while it is strictly cheaper than the dense layer by the budget's
 *   metric AND by the other metric — unless even the minimum ranks are not cheaper by the other
 *   metric (e.g. a TT conv whose MACs exceed the dense conv's at every rank), in which case that
 *   layer is held to the budget's metric only;
 * - `'metric'`: only while it is strictly cheaper by the budget's metric;
 * - `'none'` (default of {@link rankProblem}, for compatibility with the selectors' historical
 *   plans): always (the plan may cost more than the dense layer). The `tnzip` CLI passes `'both'`.
 * A layer that is not kept factorized is planned `{ kind: 'dense' }` and costs its dense cost.
 */
export type DenseFallback = 'both' | 'metric' | 'none';

/**
 * A rank-allocation problem: choose `ranks[l][i]` in `[minRanks[l][i], spaces[l].bounds[i]]`
 * with `Σ_l cost_l(ranks[l]) ≤ limit` (by `metric`), `limit = budget.target · denseTotal` for the default scope (`budgetLimit`), where
 * `cost_l` is the factorized cost while the factorization pays ({@link factorizedAt}) and the dense
 * cost once it does not: a layer whose factorization would cost more than the dense layer stays
 * dense. `cost_l` is non-decreasing in every rank (the factorized costs are, and a layer that
 * stops paying at some ranks stops paying at every larger ranks), so bisection and greedy solvers
 * keep working on it.
 */
export interface RankProblem {
  readonly spaces: readonly LayerSpace[];
  readonly budget: CheckedBudget;
  readonly metric: CostMetric;
  /** Dense cost of the compressible layers, by `metric`. */
  readonly denseTotal: number;
  /** The most the planned compressible layers may cost, by `metric` (see `budgetLimit`: the budget's scope decides). */
  readonly limit: number;
  /** Lowest rank of each mode: `min(minRank, bound)`. */
  readonly minRanks: RankTable;
  readonly denseFallback: DenseFallback;
  /**
   * Per layer, whether the other metric (MACs for a params budget and vice versa) also decides
   * if the factorization pays; false for `'metric'`, `'none'`, and for a layer that cannot be
   * cheaper by the other metric even at its minimum ranks.
   */
  readonly strictOther: readonly boolean[];
}

/** Options of {@link rankProblem}. */
export interface RankProblemOptions extends LayerSpaceOptions {
  /** Lowest rank any mode may take (clamped to the mode's bound). Default 1. */
  readonly minRank?: number;
  /**
   * When a layer falls back to dense (see {@link DenseFallback}). Default `'none'`; `'both'` is
   * what a user who wants no layer dearer than dense asks for.
   */
  readonly denseFallback?: DenseFallback;
}

export { metricOf };

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
  const checked = checkBudget(budget);
  if (context === null || typeof context !== 'object' || !Array.isArray(context.inputShape)) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      'context.inputShape must be the input shape of one example (no batch axis), e.g. [28, 28, 1]',
    );
  }
  const minRank = options.minRank ?? 1;
  const denseFallback = options.denseFallback ?? 'none';
  if (denseFallback !== 'both' && denseFallback !== 'metric' && denseFallback !== 'none')
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `options.denseFallback must be 'both', 'metric' or 'none', got ${JSON.stringify(denseFallback)}`,
    );
  if (!Number.isInteger(minRank) || minRank < 1)
    throw new TnzipError('INVALID_ARGUMENT', `options.minRank must be an integer >= 1, got ${String(minRank)}`);
  const spaces = compressibleLayers(model, context.inputShape, context.layers).map((c) => layerSpace(c, options));
  const metric = checked.metric;
  const denseTotal = spaces.reduce((a, s) => a + metricOf(s.dense, metric), 0);
  const other: CostMetric = metric === 'params' ? 'macs' : 'params';
  const minRanks = spaces.map((s) => s.bounds.map((b) => Math.min(minRank, b)));
  const strictOther = spaces.map(
    (s, l) =>
      denseFallback === 'both' && metricOf(s.cost(minRanks[l] as readonly number[]), other) < metricOf(s.dense, other),
  );
  return {
    spaces,
    budget: checked,
    metric,
    denseTotal,
    limit: budgetLimit(model, checked, context.inputShape, denseTotal, 'rankProblem'),
    minRanks,
    denseFallback,
    strictOther,
  };
}

/**
 * Whether layer `l` stays factorized at `ranks` (see {@link DenseFallback}): its factorized cost
 * is strictly below the dense cost by the budget's metric (and by the other metric where
 * {@link RankProblem.strictOther}). Always true with `denseFallback: 'none'`.
 */
export function factorizedAt(problem: RankProblem, l: number, ranks: readonly number[]): boolean {
  if (problem.denseFallback === 'none') return true;
  const s = problem.spaces[l] as LayerSpace;
  const c = s.cost(ranks);
  if (metricOf(c, problem.metric) >= metricOf(s.dense, problem.metric)) return false;
  if (problem.strictOther[l] === true) {
    const other: CostMetric = problem.metric === 'params' ? 'macs' : 'params';
    if (metricOf(c, other) >= metricOf(s.dense, other)) return false;
  }
  return true;
}

/** Cost of layer `l` at `ranks` by the problem's metric: factorized, or dense when it falls back. */
export function layerCost(problem: RankProblem, l: number, ranks: readonly number[]): number {
  const s = problem.spaces[l] as LayerSpace;
  return factorizedAt(problem, l, ranks) ? metricOf(s.cost(ranks), problem.metric) : metricOf(s.dense, problem.metric);
}

/** Total cost of `ranks` by the problem's metric (layers that fall back to dense at their dense cost). */
export function totalCost(problem: RankProblem, ranks: RankTable): number {
  return problem.spaces.reduce((a, _s, l) => a + layerCost(problem, l, ranks[l] as readonly number[]), 0);
}

/**
 * The plan of `ranks`: one entry per compressible layer, `{ kind: 'dense' }` for a layer whose
 * factorization at these ranks would not be cheaper than the dense layer ({@link factorizedAt}).
 */
export function planOf(problem: RankProblem, ranks: RankTable): FactorizationPlan {
  const plan: Record<string, LayerPlan> = {};
  problem.spaces.forEach((s, l) => {
    const r = ranks[l] as readonly number[];
    const p = s.plan(r);
    plan[s.path] = factorizedAt(problem, l, r) ? p : { kind: 'dense' };
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
