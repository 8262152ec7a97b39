import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareFactorizations } from './balanced-dims.js';
import { balancedDims, TnzipError } from './index.js';

const SEED = 99;

/** Every multiset of `order` factors of n, as descending lists. */
function allFactorizations(n: number, order: number, upper = n): number[][] {
  if (order === 1) return n <= upper ? [[n]] : [];
  const out: number[][] = [];
  for (let d = Math.min(upper, n); d >= 1; d--) {
    if (n % d !== 0) continue;
    for (const rest of allFactorizations(n / d, order - 1, d)) out.push([d, ...rest]);
  }
  return out;
}

function bruteForce(n: number, order: number): number[] {
  const all = allFactorizations(n, order);
  all.sort(compareFactorizations);
  return all[0] as number[];
}

function primeCount(n: number): number {
  let c = 0;
  let m = n;
  for (let p = 2; p * p <= m; p++) {
    while (m % p === 0) {
      m /= p;
      c++;
    }
  }
  return m > 1 ? c + 1 : c;
}

const prod = (a: number[]): number => a.reduce((x, y) => x * y, 1);

describe('balancedDims', () => {
  it('equals a brute-force search over all factorizations (small n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 5 }), (n, order) => {
        expect(balancedDims(n, order)).toEqual(bruteForce(n, order));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('has exact product, exactly `order` factors, descending, and 1s only when n has < order prime factors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e8 }), fc.integer({ min: 1, max: 8 }), (n, order) => {
        const f = balancedDims(n, order);
        expect(f).toHaveLength(order);
        expect(prod(f)).toBe(n);
        for (let i = 1; i < f.length; i++) expect(f[i]).toBeLessThanOrEqual(f[i - 1] as number);
        const ones = f.filter((v) => v === 1).length;
        expect(ones).toBe(Math.max(0, order - primeCount(n)));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('gives the textbook examples', () => {
    expect(balancedDims(235200, 6)).toEqual([10, 10, 8, 7, 7, 6]); // LeNet-300 fc1
    expect(balancedDims(4608, 2)).toEqual([72, 64]);
    expect(balancedDims(1e8, 8)).toEqual([10, 10, 10, 10, 10, 10, 10, 10]);
    expect(balancedDims(64, 3)).toEqual([4, 4, 4]);
    expect(balancedDims(1, 4)).toEqual([1, 1, 1, 1]);
    expect(balancedDims(17, 1)).toEqual([17]);
  });

  it('a large prime factor becomes one factor on its own (unbalanced) unless padding is allowed', () => {
    expect(balancedDims(2 * 1009, 2)).toEqual([1009, 2]);
    expect(balancedDims(1009, 3)).toEqual([1009, 1, 1]);
    expect(balancedDims(100000007, 4)).toEqual([100000007, 1, 1, 1]);
    expect(balancedDims(1009, 3, { pad: true })).toEqual([16, 8, 8]);
    const padded = balancedDims(100000007, 8, { pad: true });
    expect(prod(padded)).toBeGreaterThanOrEqual(100000007);
    expect(padded[0]).toBeLessThanOrEqual(2 * (padded[7] as number));
  });

  it('pad: the smallest n′ ≥ n with a factorization of max/min ≤ 2 (brute force), n itself when it qualifies', () => {
    const qualifies = (m: number, order: number): boolean => {
      const f = bruteForce(m, order);
      return (f[0] as number) <= 2 * (f[order - 1] as number);
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 4 }), (n, order) => {
        let m = n;
        while (!qualifies(m, order)) m++;
        const f = balancedDims(n, order, { pad: true });
        expect(prod(f)).toBe(m);
        expect(f).toEqual(bruteForce(m, order));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('is deterministic and runs in milliseconds for n ~ 1e8, order ≤ 8', () => {
    const hard = [73513440, 97297200, 99999989, 100000007, 36756720, 86486400];
    const t0 = performance.now();
    for (const n of hard) for (let order = 2; order <= 8; order++) balancedDims(n, order);
    const perCall = (performance.now() - t0) / (hard.length * 7);
    // Generous for a shared 2-core machine: measured ≲ 2 ms per call.
    expect(perCall).toBeLessThan(50);
    expect(balancedDims(73513440, 8)).toEqual(balancedDims(73513440, 8));
    const t1 = performance.now();
    balancedDims(99999989, 6, { pad: true });
    expect(performance.now() - t1).toBeLessThan(500);
  });

  it('returns a fresh array (memoisation cannot be corrupted by callers)', () => {
    const a = balancedDims(360, 3);
    expect(a).toEqual([10, 6, 6]);
    a[0] = 0;
    expect(balancedDims(360, 3)).toEqual([10, 6, 6]); // 10/6 beats 9/5
  });

  it('rejects bad input with TnzipError', () => {
    for (const [n, order] of [
      [0, 2],
      [-4, 2],
      [2.5, 2],
      [Number.NaN, 2],
      [Number.POSITIVE_INFINITY, 2],
      [2 ** 41, 2],
      [12, 0],
      [12, 1.5],
      [12, 17],
      [12, Number.NaN],
    ] as const) {
      let err: unknown;
      try {
        balancedDims(n, order);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TnzipError);
      expect((err as TnzipError).code).toBe('INVALID_ARGUMENT');
    }
  });
});
