import type { Sequential } from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Budget } from './budget.js';
import { fillToBudget } from './fill.js';
import { greedyAllocate } from './greedy-allocate.js';
import type { RankFormat } from './layer-space.js';
import { resnetSmall } from './models.test-util.js';
import { metricOf, type RankProblem, rankProblem, totalCost } from './problem.js';
import { layerSpectra } from './spectra.js';

/**
 * The greedy of papers.md §1.2 written plainly: every step re-scores every open candidate with
 * the current ranks (no queue, no stamps), takes the best (ties: first layer, then first mode),
 * closes it if it does not fit.
 */
function naiveGreedy(problem: RankProblem, value: (l: number, i: number, k: number) => number): number[][] {
  const ranks = problem.minRanks.map((r) => [...r]);
  const closed = problem.spaces.map((s) => s.bounds.map(() => false));
  for (;;) {
    let best: { l: number; i: number; score: number } | null = null;
    problem.spaces.forEach((s, l) => {
      const base = metricOf(s.cost(ranks[l] as number[]), problem.metric);
      s.bounds.forEach((b, i) => {
        const r = ranks[l] as number[];
        if ((closed[l] as boolean[])[i] === true || (r[i] as number) >= b) return;
        const trial = [...r];
        trial[i] = (trial[i] as number) + 1;
        const delta = metricOf(s.cost(trial), problem.metric) - base;
        const score = delta > 0 ? value(l, i, r[i] as number) / delta : Number.POSITIVE_INFINITY;
        if (best === null || score > best.score) best = { l, i, score };
      });
    });
    if (best === null) return ranks;
    const { l, i } = best as { l: number; i: number };
    const trial = ranks.map((r) => [...r]);
    (trial[l] as number[])[i] = ((trial[l] as number[])[i] as number) + 1;
    if (totalCost(problem, trial) > problem.limit) (closed[l] as boolean[])[i] = true;
    else (ranks[l] as number[])[i] = ((ranks[l] as number[])[i] as number) + 1;
  }
}

describeBackends('budget solvers', () => {
  let model: Sequential;
  beforeAll(() => {
    model = resnetSmall();
  });
  afterAll(() => model.dispose());
  describe('greedyAllocate', () => {
    const cases: Array<[RankFormat, Budget]> = [
      ['tucker2', { metric: 'params', target: 0.3 }],
      ['tucker2', { metric: 'macs', target: 0.2 }],
      ['tt', { metric: 'params', target: 0.15 }],
      ['tt', { metric: 'macs', target: 0.4 }],
    ];
    for (const [format, budget] of cases) {
      it(`equals the plain re-scoring greedy (${format}, ${budget.metric} ${budget.target}): the queue re-evaluates the bilinear costs`, () => {
        const problem = rankProblem(model, budget, { inputShape: [16, 16, 3] }, { format });
        const spectra = problem.spaces.map(layerSpectra);
        const value = (l: number, i: number, k: number): number =>
          ((spectra[l] as Float64Array[])[i] as Float64Array)[k] as number;
        const fast = greedyAllocate(problem, { value });
        expect(fast.ranks).toEqual(naiveGreedy(problem, value));
        expect(fast.cost).toBe(totalCost(problem, fast.ranks));
        expect(fast.cost).toBeLessThanOrEqual(problem.limit);
        expect(fast.accepted).toBe(
          fast.ranks.flat().reduce((a, b) => a + b, 0) - problem.minRanks.flat().reduce((a, b) => a + b, 0),
        );
      });
    }

    it('keeps a prefix: with equal values it prefers the cheapest marginal cost', () => {
      const problem = rankProblem(model, { metric: 'params', target: 0.3 }, { inputShape: [16, 16, 3] });
      const res = greedyAllocate(problem, { value: () => 1 });
      expect(res.cost).toBeLessThanOrEqual(problem.limit);
      // Starting ranks are kept and are never exceeded by the bound.
      res.ranks.forEach((r, l) => {
        r.forEach((x, i) => {
          expect(x).toBeGreaterThanOrEqual((problem.minRanks[l] as number[])[i] as number);
          expect(x).toBeLessThanOrEqual(problem.spaces[l]?.bounds[i] as number);
        });
      });
    });

    it('throws INVALID_BUDGET when the start already exceeds the limit', () => {
      const problem = rankProblem(model, { metric: 'params', target: 0.05 }, { inputShape: [16, 16, 3] });
      const full = problem.spaces.map((s) => [...s.bounds]);
      expect(() => greedyAllocate(problem, { value: () => 1, start: full })).toThrow(TnzipError);
    });
  });

  describe('fillToBudget', () => {
    it('raises ranks by priority until no single rank fits', () => {
      const problem = rankProblem(model, { metric: 'macs', target: 0.25 }, { inputShape: [16, 16, 3] });
      // Priority to the last layer: it must reach its bound (or stop fitting) before others move.
      const last = problem.spaces.length - 1;
      const res = fillToBudget(problem, problem.minRanks, (l) => (l === last ? 1 : 0));
      expect(res.cost).toBe(totalCost(problem, res.ranks));
      expect(res.cost).toBeLessThanOrEqual(problem.limit);
      const lastSpace = problem.spaces[last];
      expect(res.ranks[last]).toEqual(lastSpace?.bounds);
      problem.spaces.forEach((s, l) => {
        s.bounds.forEach((b, i) => {
          const r = res.ranks[l] as number[];
          if ((r[i] as number) < b) {
            const up = res.ranks.map((x) => [...x]);
            (up[l] as number[])[i] = (r[i] as number) + 1;
            expect(totalCost(problem, up)).toBeGreaterThan(problem.limit);
          }
        });
      });
      expect(res.steps).toBe(
        res.ranks.flat().reduce((a, b) => a + b, 0) - problem.minRanks.flat().reduce((a, b) => a + b, 0),
      );
    });
  });
});
