import { layerCost as costOf, factorizedAt, type RankProblem, type RankTable } from './problem.js';

/** What {@link fillToBudget} returns. */
export interface FillResult {
  readonly ranks: number[][];
  /** Single-rank increments made. */
  readonly steps: number;
  /** Cost of the result by the problem's metric. */
  readonly cost: number;
}

/**
 * Spends what a plan leaves of the budget one rank at a time: while some rank below its bound
 * can be raised by one without exceeding `problem.limit`, raise the one of highest `priority`
 * (ties: first layer, then first mode). The result is maximal — raising any single rank by one
 * would exceed the budget, or the rank is at its bound — which is what "within one rank step of
 * the budget" means for every selector of this package. Costs only grow with ranks, so a mode
 * that does not fit once is never tried again. Costs are the problem's (a layer whose
 * factorization stops paying costs its dense cost and is planned dense): a raise that turns a
 * layer dense is one step like any other, and a layer that is dense is closed (raising its ranks
 * would change nothing).
 *
 * @param priority higher first; called with the layer index, the mode index and the current rank
 */
export function fillToBudget(
  problem: RankProblem,
  start: RankTable,
  priority: (layer: number, mode: number, rank: number) => number,
): FillResult {
  const { spaces, limit } = problem;
  const ranks = start.map((r) => [...r]);
  const layerCost = spaces.map((_s, l) => costOf(problem, l, ranks[l] as number[]));
  let total = layerCost.reduce((a, b) => a + b, 0);
  const closed = spaces.map((s, l) => {
    const dense = !factorizedAt(problem, l, ranks[l] as number[]);
    return s.bounds.map((b, i) => dense || ((ranks[l] as number[])[i] as number) >= b);
  });
  let steps = 0;
  for (;;) {
    let pick: { l: number; i: number; p: number; cost: number } | null = null;
    spaces.forEach((s, l) => {
      const r = ranks[l] as number[];
      const shut = closed[l] as boolean[];
      s.bounds.forEach((_, i) => {
        if (shut[i] === true) return;
        const trial = [...r];
        trial[i] = (trial[i] as number) + 1;
        const c = costOf(problem, l, trial);
        if (total - (layerCost[l] as number) + c > limit) {
          shut[i] = true;
          return;
        }
        const p = priority(l, i, r[i] as number);
        if (pick === null || p > pick.p) pick = { l, i, p, cost: c };
      });
    });
    if (pick === null) break;
    const { l, i, cost } = pick as { l: number; i: number; cost: number };
    const r = ranks[l] as number[];
    r[i] = (r[i] as number) + 1;
    total += cost - (layerCost[l] as number);
    layerCost[l] = cost;
    if ((r[i] as number) >= ((spaces[l] as (typeof spaces)[number]).bounds[i] as number))
      (closed[l] as boolean[])[i] = true;
    if (!factorizedAt(problem, l, r)) (closed[l] as boolean[]).fill(true);
    steps++;
  }
  return { ranks, steps, cost: total };
}
