import { checkInt } from './validate.js';

/** Options of {@link balancedDims}. */
export interface BalancedDimsOptions {
  /**
   * Allow growing `n`: return the best factorization of the smallest `n' ≥ n` that has a
   * factorization into `order` factors with `max/min ≤ 2`. For callers that can zero-pad the
   * reshaped tensor (ADA-Tucker) — the product of the result is then `n'`, not `n`.
   * Default false: the product is exactly `n`.
   */
  pad?: boolean;
}

/** Largest `n` accepted: keeps products exact in doubles and trial division instant. */
export const BALANCED_DIMS_MAX_N = 2 ** 40;
/** Largest `order` accepted. */
export const BALANCED_DIMS_MAX_ORDER = 16;

const memo = new Map<string, readonly number[]>();

/**
 * Factors the integer `n` into exactly `order` integer factors, as equal as possible, sorted in
 * DESCENDING order (`result[0]` is the largest). Used for the balanced reshapes of ADA-Tucker
 * and TT layers.
 *
 * "As equal as possible" is exact, not greedy: over every multiset of `order` divisors whose
 * product is exactly `n`, it minimises `max/min`, then the variance of the factors' logarithms,
 * then takes the lexicographically smallest (descending) list — so the result is unique and the
 * same input always gives the same output. The search is a branch-and-bound over the divisor
 * lattice (factors chosen largest first, pruned by the best ratio found so far) and memoised:
 * n up to 10^8 and order up to 8 take milliseconds.
 *
 * Factors of 1 appear only when `n` has fewer prime factors (with multiplicity) than `order`
 * (otherwise splitting a composite factor would lower max/min).
 *
 * **Large prime factors.** A prime `p | n` cannot be split, so it becomes one factor on its own
 * and the result is unbalanced: `balancedDims(2 * 1009, 2)` is `[1009, 2]` and
 * `balancedDims(1009, 3)` is `[1009, 1, 1]`. Callers that can zero-pad pass `{ pad: true }`:
 * the result is then the best factorization of the smallest `n' ≥ n` that can be written with
 * `max/min ≤ 2`, or of `n` itself when `n` already qualifies: `balancedDims(1009, 3, { pad: true })`
 * is `[16, 8, 8]` (n' = 1024).
 *
 * @param n an integer in [1, 2^40]
 * @param order the number of factors, an integer in [1, 16]
 * @returns `order` integers, descending, product `n` (or `n' ≥ n` with `pad`)
 */
export function balancedDims(n: number, order: number, options: BalancedDimsOptions = {}): number[] {
  checkInt(n, 'n', 1, BALANCED_DIMS_MAX_N);
  checkInt(order, 'order', 1, BALANCED_DIMS_MAX_ORDER);
  const pad = options.pad === true;
  const key = `${n},${order},${pad ? 1 : 0}`;
  let hit = memo.get(key);
  if (hit === undefined) {
    hit = pad ? paddedDims(n, order) : exactDims(n, order);
    memo.set(key, hit);
  }
  return [...hit];
}

/** Negative, zero or positive as a/b is below, equal to or above c/d (exact for integers). */
function cmpRatio(a: number, b: number, c: number, d: number): number {
  const x = a * d;
  const y = c * b;
  if (x <= Number.MAX_SAFE_INTEGER && y <= Number.MAX_SAFE_INTEGER) return x - y;
  const bx = BigInt(a) * BigInt(d);
  const by = BigInt(c) * BigInt(b);
  return bx < by ? -1 : bx > by ? 1 : 0;
}

function logVariance(f: readonly number[]): number {
  const logs = f.map(Math.log);
  const mean = logs.reduce((s, v) => s + v, 0) / logs.length;
  return logs.reduce((s, v) => s + (v - mean) * (v - mean), 0) / logs.length;
}

/**
 * Total order on candidate factorizations (descending lists of equal length and product):
 * max/min, then variance of logs, then lexicographic. Exported for the brute-force test.
 */
export function compareFactorizations(a: readonly number[], b: readonly number[]): number {
  const k = a.length - 1;
  const c = cmpRatio(a[0] as number, a[k] as number, b[0] as number, b[k] as number);
  if (c !== 0) return c;
  const va = logVariance(a);
  const vb = logVariance(b);
  if (Math.abs(va - vb) > 1e-12 * Math.max(1, va, vb)) return va - vb;
  for (let i = 0; i <= k; i++) {
    if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  }
  return 0;
}

function divisorsOf(n: number): number[] {
  const primes: [number, number][] = [];
  let m = n;
  for (let p = 2; p * p <= m; p += p === 2 ? 1 : 2) {
    if (m % p === 0) {
      let e = 0;
      while (m % p === 0) {
        m /= p;
        e++;
      }
      primes.push([p, e]);
    }
  }
  if (m > 1) primes.push([m, 1]);
  let divs = [1];
  for (const [p, e] of primes) {
    const next: number[] = [];
    for (const d of divs) {
      let q = d;
      for (let i = 0; i <= e; i++) {
        next.push(q);
        q *= p;
      }
    }
    divs = next;
  }
  return divs.sort((a, b) => a - b);
}

/** Smallest integer c ≥ 1 with c^k ≥ x. */
function ceilRoot(x: number, k: number): number {
  let c = Math.max(1, Math.round(x ** (1 / k)));
  while (c ** k < x) c++;
  while (c > 1 && (c - 1) ** k >= x) c--;
  return c;
}

function exactDims(n: number, order: number): number[] {
  if (order === 1) return [n];
  const divs = divisorsOf(n);
  let best: number[] | null = null;
  const chosen: number[] = [];
  const lowerIndex = (x: number): number => {
    let lo = 0;
    let hi = divs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((divs[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // Chooses the remaining k factors of m, each ≤ upper, largest first.
  const search = (m: number, k: number, upper: number): void => {
    if (k === 1) {
      if (m > upper) return;
      chosen.push(m);
      if (best === null || compareFactorizations(chosen, best) < 0) best = [...chosen];
      chosen.pop();
      return;
    }
    const hi = Math.min(upper, m);
    // The largest of k factors of m is at least ceilRoot(m, k).
    for (let i = lowerIndex(ceilRoot(m, k)); i < divs.length; i++) {
      const d = divs[i] as number;
      if (d > hi) break;
      if (m % d !== 0) continue;
      if (best !== null) {
        // The final minimum is at most (m/d)^{1/(k−1)}, which falls as d grows: once the ratio
        // bound exceeds the best ratio it only gets worse.
        const top = chosen.length === 0 ? d : (chosen[0] as number);
        const b: number[] = best;
        const bound = top / (m / d) ** (1 / (k - 1));
        if (bound > ((b[0] as number) / (b[b.length - 1] as number)) * (1 + 1e-9)) break;
      }
      chosen.push(d);
      search(m / d, k - 1, d);
      chosen.pop();
    }
  };
  search(n, order, n);
  return best ?? [n, ...new Array<number>(order - 1).fill(1)];
}

function paddedDims(n: number, order: number): number[] {
  const exact = exactDims(n, order);
  if (order === 1 || (exact[0] as number) <= 2 * (exact[order - 1] as number)) return exact;
  // Smallest P ≥ n that is a product of `order` integers in [L, 2L] for some L.
  const c = ceilRoot(n, order);
  let bestP = c ** order;
  const fill = (p: number, k: number, upper: number, low: number): void => {
    if (p * upper ** k < n || p * low ** k >= bestP) return;
    if (k === 1) {
      const d = Math.max(low, Math.ceil(n / p));
      if (d <= upper && p * d < bestP) bestP = p * d;
      return;
    }
    for (let d = Math.max(low, ceilRoot(n / p, k)); d <= upper; d++) {
      if (p * d * low ** (k - 1) >= bestP) break;
      fill(p * d, k - 1, d, low);
    }
  };
  for (let top = c; Math.ceil(top / 2) ** order < bestP; top++) {
    fill(top, order - 1, top, Math.ceil(top / 2));
  }
  return exactDims(bestP, order);
}
