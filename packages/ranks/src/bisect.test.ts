import { TnzipError } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { bisectBudget } from './bisect.js';

describe('bisectBudget', () => {
  it('finds the largest scalar whose (step-function) cost fits', () => {
    // Ranks ⌈x·10⌉ of two modes, cost 3 per unit: the largest plan with cost ≤ 40 is rank 6 (36).
    const evaluate = (x: number): number[] => [Math.max(1, Math.ceil(x * 10)), Math.max(1, Math.ceil(x * 10))];
    const cost = (r: number[]): number => 3 * r.reduce((a, b) => a + b, 0);
    const res = bisectBudget({ lo: 0, hi: 1, evaluate, cost, limit: 40 });
    expect(res.value).toEqual([6, 6]);
    expect(res.cost).toBe(36);
    // Any larger scalar crosses the step: the result sits at it to double precision.
    expect(cost(evaluate(res.x + 1e-12))).toBeGreaterThan(40);
    expect(res.x).toBeCloseTo(0.6, 12);
  });

  it('returns hi when it fits and throws INVALID_BUDGET when even lo does not', () => {
    const res = bisectBudget({ lo: 0, hi: 2, evaluate: (x) => x, cost: (v) => v, limit: 5 });
    expect(res.x).toBe(2);
    expect(res.evaluations).toBe(1);
    expect(() => bisectBudget({ lo: 1, hi: 2, evaluate: (x) => x, cost: (v) => v, limit: 0.5 })).toThrow(TnzipError);
    try {
      bisectBudget({ lo: 1, hi: 2, evaluate: (x) => x, cost: (v) => v, limit: 0.5 });
    } catch (e) {
      expect((e as TnzipError).code).toBe('INVALID_BUDGET');
    }
    expect(() => bisectBudget({ lo: 2, hi: 1, evaluate: (x) => x, cost: (v) => v, limit: 5 })).toThrow(/lo <= hi/);
    expect(() => bisectBudget({ lo: 0, hi: Number.NaN, evaluate: (x) => x, cost: (v) => v, limit: 5 })).toThrow(
      TnzipError,
    );
  });

  it('meets a continuous budget to double precision', () => {
    const res = bisectBudget({ lo: 0, hi: 10, evaluate: (x) => x, cost: (x) => x * x, limit: 2 });
    expect(res.cost).toBeLessThanOrEqual(2);
    expect(res.x).toBeCloseTo(Math.SQRT2, 14);
  });
});
