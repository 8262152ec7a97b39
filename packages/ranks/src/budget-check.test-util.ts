import type { FactorizationPlan, Module } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { expect } from 'vitest';
import type { Budget } from './budget.js';
import { factorizedAt, type RankProblemOptions, rankProblem, totalCost } from './problem.js';
import type { SelectionContext, SelectionReport } from './selector.js';

/**
 * The plan fits the budget, every rank lies in [min(minRank, bound), bound], and raising any
 * single rank below its bound by one exceeds the budget (within one rank step). The report agrees.
 */
export function expectMaximalPlan(
  model: Module,
  plan: FactorizationPlan,
  report: SelectionReport | null,
  budget: Budget,
  context: Pick<SelectionContext, 'inputShape' | 'layers'>,
  options: RankProblemOptions,
): number[][] {
  const problem = rankProblem(model, budget, context, options);
  expect(Object.keys(plan).sort()).toEqual(problem.spaces.map((s) => s.path).sort());
  // A layer planned dense stands for "every rank at its bound": its factorization does not pay.
  const ranks = problem.spaces.map((s) => {
    const p = plan[s.path] as NonNullable<FactorizationPlan[string]>;
    return p.kind === 'dense' ? [...s.bounds] : s.ranksOf(p);
  });
  problem.spaces.forEach((s, l) => {
    const dense = plan[s.path]?.kind === 'dense';
    expect(
      factorizedAt(problem, l, ranks[l] as number[]),
      `${s.path} planned dense iff its factorization does not pay`,
    ).toBe(!dense);
  });
  const total = totalCost(problem, ranks);
  expect(total).toBeLessThanOrEqual(problem.limit);
  if (report !== null) {
    expect(report.planned[problem.metric]).toBe(total);
    expect(report.achieved).toBeLessThanOrEqual(budget.target);
  }
  problem.spaces.forEach((s, l) => {
    const r = ranks[l] as number[];
    s.bounds.forEach((b, i) => {
      const ri = r[i] as number;
      expect(Number.isInteger(ri)).toBe(true);
      expect(ri).toBeGreaterThanOrEqual(Math.min(options.minRank ?? 1, b));
      expect(ri).toBeLessThanOrEqual(b);
      if (ri < b && plan[s.path]?.kind !== 'dense') {
        const up = ranks.map((x) => [...x]);
        (up[l] as number[])[i] = ri + 1;
        expect(totalCost(problem, up), `${s.path} mode ${s.modes[i]} +1`).toBeGreaterThan(problem.limit);
      }
    });
  });
  return ranks;
}

/** The TnzipError code `f` throws (fails the test for any other error), or 'no error'. */
export async function errorCode(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(TnzipError);
    return (e as TnzipError).code;
  }
  return 'no error';
}
