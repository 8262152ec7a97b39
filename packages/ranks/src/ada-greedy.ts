/** A rank-choice problem over integer variables (the per-mode core ranks of one or more layers). */
export interface GreedyRankProblem {
  /** Upper bound of each variable. */
  readonly bounds: readonly number[];
  /** Total cost (in the budget's unit) of a rank vector; non-decreasing in each variable. */
  readonly cost: (ranks: readonly number[]) => number;
  /** Estimated error removed by raising variable k of `ranks` by one (>= 0). */
  readonly gain: (ranks: readonly number[], k: number) => number;
  /** The most the result may cost. */
  readonly limit: number;
}

/** What {@link greedyRanks} found. */
export interface GreedyRankResult {
  readonly ranks: number[];
  readonly cost: number;
  /** Steps taken (each raises one variable by one). */
  readonly steps: number;
}

/**
 * Greedy rank growth under a budget: from `start`, repeatedly raise by one the variable with
 * the largest estimated error reduction per added cost (`gain / Δcost`; steps with no gain come
 * last, cheapest first) among the steps that still fit, until none fits or every variable is at
 * its bound. Each step adds one factor row block and one core slice, so the result lands within
 * the cheapest remaining step of the budget.
 */
export function greedyRanks(problem: GreedyRankProblem, start: readonly number[]): GreedyRankResult {
  const r = [...start];
  let cost = problem.cost(r);
  const closed = r.map((v, k) => v >= (problem.bounds[k] as number));
  let steps = 0;
  for (;;) {
    let pick = -1;
    let pickCost = 0;
    let pickScore = Number.NEGATIVE_INFINITY;
    let pickGain = false;
    for (let k = 0; k < r.length; k++) {
      if (closed[k] === true) continue;
      r[k] = (r[k] as number) + 1;
      const c = problem.cost(r);
      r[k] = (r[k] as number) - 1;
      // Costs grow with each variable, so a step that does not fit now never will.
      if (c > problem.limit) {
        closed[k] = true;
        continue;
      }
      const g = problem.gain(r, k);
      const delta = Math.max(c - cost, 1e-12);
      const hasGain = g > 0;
      const score = hasGain ? g / delta : -delta;
      if (pick < 0 || (hasGain && !pickGain) || (hasGain === pickGain && score > pickScore)) {
        pick = k;
        pickCost = c;
        pickScore = score;
        pickGain = hasGain;
      }
    }
    if (pick < 0) break;
    r[pick] = (r[pick] as number) + 1;
    cost = pickCost;
    if ((r[pick] as number) >= (problem.bounds[pick] as number)) closed[pick] = true;
    steps++;
  }
  return { ranks: r, cost, steps };
}

/**
 * {@link greedyRanks}, then local search: while some exchange "raise variable k by one, lower
 * variable j by one" (j stays >= `low[j]`) fits the budget and lowers the estimated error
 * (`gain(r, k) − gain(r − e_j, j)` > 0, exact for an error that is a sum over variables, as the
 * HOSVD tail bound is), take the best one and grow greedily again. The single steps of the
 * greedy add a core slice `Π_{j≠k} r_j` each, which can leave much of a small budget unused;
 * the exchanges reshape the core to use it. Terminates: the error decreases strictly.
 */
export function greedyRanksRefined(
  problem: GreedyRankProblem,
  start: readonly number[],
  low: readonly number[],
  maxExchanges = 500,
): GreedyRankResult & { readonly exchanges: number } {
  let found = greedyRanks(problem, start);
  let steps = found.steps;
  let exchanges = 0;
  const r = found.ranks;
  while (exchanges < maxExchanges) {
    let best: [number, number] | null = null;
    let bestDelta = 0;
    for (let k = 0; k < r.length; k++) {
      if ((r[k] as number) >= (problem.bounds[k] as number)) continue;
      const up = problem.gain(r, k);
      if (up <= 0) continue;
      for (let j = 0; j < r.length; j++) {
        if (j === k || (r[j] as number) <= (low[j] as number)) continue;
        r[j] = (r[j] as number) - 1;
        const down = problem.gain(r, j);
        r[k] = (r[k] as number) + 1;
        const fits = problem.cost(r) <= problem.limit;
        r[k] = (r[k] as number) - 1;
        r[j] = (r[j] as number) + 1;
        const delta = up - down;
        if (fits && delta > bestDelta * (1 + 1e-12) + 1e-15) {
          best = [k, j];
          bestDelta = delta;
        }
      }
    }
    if (best === null) break;
    r[best[0]] = (r[best[0]] as number) + 1;
    r[best[1]] = (r[best[1]] as number) - 1;
    exchanges++;
    found = greedyRanks(problem, r);
    steps += found.steps;
    r.splice(0, r.length, ...found.ranks);
  }
  return { ranks: [...r], cost: problem.cost(r), steps, exchanges };
}

/**
 * Raises variables (one at a time, among `vars`) until `reach(ranks)` says the target is met:
 * each step takes the variable whose +1 gives the highest `progress` (then the cheapest), so a
 * layer's matrix-rank bound reaches what it must represent at small cost. Returns null when
 * the variables reach their bounds first.
 */
export function raiseUntil(
  bounds: readonly number[],
  start: readonly number[],
  vars: readonly number[],
  cost: (ranks: readonly number[]) => number,
  reach: (ranks: readonly number[]) => { done: boolean; progress: number },
): number[] | null {
  const r = [...start];
  while (!reach(r).done) {
    let pick = -1;
    let best = Number.NEGATIVE_INFINITY;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const k of vars) {
      if ((r[k] as number) >= (bounds[k] as number)) continue;
      r[k] = (r[k] as number) + 1;
      const p = reach(r).progress;
      const c = cost(r);
      r[k] = (r[k] as number) - 1;
      if (p > best || (p === best && c < bestCost)) {
        pick = k;
        best = p;
        bestCost = c;
      }
    }
    if (pick < 0) return null;
    r[pick] = (r[pick] as number) + 1;
  }
  return r;
}
