import { TnzipError } from '@tnzip/tensor';
import { Heap } from './internal/heap.js';
import { layerCost as costOf, factorizedAt, type RankProblem, type RankTable } from './problem.js';

/** Options of `greedyAllocate`. */
export interface GreedyAllocateOptions {
  /**
   * Value of keeping component `index` (0-based) of rank `mode` of layer `layer` — e.g. a
   * normalized singular value σ_{index+1}. Must be non-increasing in `index` for the result to be
   * the greedy optimum; components are taken in order (prefix property) either way.
   */
  readonly value: (layer: number, mode: number, index: number) => number;
  /** Starting ranks (kept). Default: `problem.minRanks`. */
  readonly start?: RankTable;
}

/** What `greedyAllocate` returns. */
export interface GreedyAllocateResult {
  readonly ranks: number[][];
  /** Cost of the result by the problem's metric. */
  readonly cost: number;
  /** Components added beyond the start. */
  readonly accepted: number;
}

interface Entry {
  readonly score: number;
  readonly l: number;
  readonly i: number;
  readonly stamp: number;
}

/**
 * Greedy allocation by marginal cost (papers.md §1.2, GreedyBudget): starting from `start`,
 * repeatedly take the candidate component with the largest `value / Δcost`, where a candidate is
 * the next component (rank + 1) of one (layer, mode) — so each mode keeps a prefix
 * σ_1 ≥ σ_2 ≥ … — and Δcost is the exact increase of that layer's cost (`planCost`) by the
 * budget's metric. A candidate that would exceed the limit is dropped for good (costs only grow
 * as ranks grow, and the remaining budget only shrinks), so the loop ends with a maximal plan:
 * no single rank can be raised within budget. Costs are bilinear in the ranks (Tucker-2: the
 * marginal cost of R_S grows with R_T; TT: with both neighbouring bonds), so after every
 * acceptance the other modes of that layer are re-scored: a priority queue with per-layer
 * stamps discards the stale entries. Costs are the problem's: a component whose acceptance makes
 * the layer's factorization dearer than the dense layer costs the step up to the dense cost, and
 * the layer is then planned dense and closed.
 *
 * Complexity: O(A·(m + log Q)) cost evaluations for A acceptances, m modes per layer.
 *
 * @throws TnzipError INVALID_BUDGET when `start` already exceeds the limit
 */
export function greedyAllocate(problem: RankProblem, options: GreedyAllocateOptions): GreedyAllocateResult {
  const { spaces, limit } = problem;
  const ranks = (options.start ?? problem.minRanks).map((r) => [...r]);
  const layerCost = spaces.map((_s, l) => costOf(problem, l, ranks[l] as number[]));
  const denseNow = spaces.map((_s, l) => !factorizedAt(problem, l, ranks[l] as number[]));
  let total = layerCost.reduce((a, b) => a + b, 0);
  if (total > limit) {
    throw new TnzipError(
      'INVALID_BUDGET',
      `greedyAllocate: the starting ranks cost ${total}, above the limit ${limit}`,
    );
  }
  const stamps = spaces.map(() => 0);
  const heap = new Heap<Entry>((a, b) =>
    a.score !== b.score ? a.score > b.score : a.l !== b.l ? a.l < b.l : a.i < b.i,
  );
  const next = (l: number, i: number): { score: number; cost: number } | null => {
    const s = spaces[l] as (typeof spaces)[number];
    const r = ranks[l] as number[];
    if (denseNow[l] === true || (r[i] as number) >= (s.bounds[i] as number)) return null;
    const trial = [...r];
    trial[i] = (trial[i] as number) + 1;
    const cost = costOf(problem, l, trial);
    const delta = cost - (layerCost[l] as number);
    const v = options.value(l, i, r[i] as number);
    return { score: delta > 0 ? v / delta : Number.POSITIVE_INFINITY, cost };
  };
  const pushLayer = (l: number): void => {
    (spaces[l] as (typeof spaces)[number]).bounds.forEach((_, i) => {
      const c = next(l, i);
      if (c !== null) heap.push({ score: c.score, l, i, stamp: stamps[l] as number });
    });
  };
  spaces.forEach((_, l) => {
    pushLayer(l);
  });
  const closed = spaces.map((s) => s.bounds.map(() => false));
  let accepted = 0;
  for (;;) {
    const e = heap.pop();
    if (e === undefined) break;
    const shut = closed[e.l] as boolean[];
    if (e.stamp !== stamps[e.l] || shut[e.i] === true) continue;
    const c = next(e.l, e.i);
    if (c === null) continue;
    if (total - (layerCost[e.l] as number) + c.cost > limit) {
      shut[e.i] = true;
      continue;
    }
    const r = ranks[e.l] as number[];
    r[e.i] = (r[e.i] as number) + 1;
    total += c.cost - (layerCost[e.l] as number);
    layerCost[e.l] = c.cost;
    stamps[e.l] = (stamps[e.l] as number) + 1;
    accepted++;
    if (!factorizedAt(problem, e.l, r)) {
      denseNow[e.l] = true;
      continue;
    }
    // Re-score every open mode of this layer: its marginal costs changed with this rank.
    (spaces[e.l] as (typeof spaces)[number]).bounds.forEach((_, i) => {
      if (shut[i] === true) return;
      const n = next(e.l, i);
      if (n !== null) heap.push({ score: n.score, l: e.l, i, stamp: stamps[e.l] as number });
    });
  }
  return { ranks, cost: total, accepted };
}
