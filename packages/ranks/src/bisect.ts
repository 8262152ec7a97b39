import { TnzipError } from '@tnzip/tensor';

/** Options of {@link bisectBudget}. */
export interface BisectOptions<T> {
  /** Bracket of the scalar; `cost(evaluate(x))` must be non-decreasing in x on `[lo, hi]`. */
  readonly lo: number;
  readonly hi: number;
  /** The candidate (usually a rank table) at scalar `x`. */
  readonly evaluate: (x: number) => T;
  /** Its cost, in the budget's unit. */
  readonly cost: (value: T) => number;
  /** The most the result may cost. */
  readonly limit: number;
  /** Default 200 (the bracket reaches double precision long before). */
  readonly maxIterations?: number;
}

/** What {@link bisectBudget} found. */
export interface BisectResult<T> {
  /** The largest scalar found whose candidate fits. */
  readonly x: number;
  readonly value: T;
  readonly cost: number;
  /** Evaluations of `evaluate` made. */
  readonly evaluations: number;
}

/**
 * Bisection of a scalar (a rank ratio, an energy threshold, a scale factor) to meet a budget:
 * the largest `x` in `[lo, hi]` with `cost(evaluate(x)) ≤ limit`, to double precision, for a
 * cost that is monotone (non-decreasing) in `x`. When candidates are integer rank tables the cost
 * is a step function, and the result sits on the step just below the first `x` that exceeds:
 * any larger `x` gives a plan over budget. Returns `hi` at once when it fits.
 *
 * @throws TnzipError INVALID_BUDGET when even `evaluate(lo)` exceeds `limit`; INVALID_ARGUMENT
 *   for a bracket that is not finite with `lo ≤ hi`
 */
export function bisectBudget<T>(options: BisectOptions<T>): BisectResult<T> {
  const { evaluate, cost, limit } = options;
  let lo = options.lo;
  let hi = options.hi;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new TnzipError(
      'INVALID_ARGUMENT',
      `bisectBudget: the bracket must be finite with lo <= hi, got [${lo}, ${hi}]`,
    );
  }
  let evaluations = 0;
  const at = (x: number): { value: T; cost: number } => {
    evaluations++;
    const value = evaluate(x);
    return { value, cost: cost(value) };
  };
  const top = at(hi);
  if (top.cost <= limit) return { x: hi, value: top.value, cost: top.cost, evaluations };
  let best = at(lo);
  if (best.cost > limit) {
    throw new TnzipError(
      'INVALID_BUDGET',
      `bisectBudget: even the smallest candidate (x = ${lo}) costs ${best.cost}, above the limit ${limit}`,
    );
  }
  const maxIterations = options.maxIterations ?? 200;
  for (let it = 0; it < maxIterations; it++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    const r = at(mid);
    if (r.cost <= limit) {
      lo = mid;
      best = r;
    } else {
      hi = mid;
    }
  }
  return { x: lo, value: best.value, cost: best.cost, evaluations };
}
