import * as tf from '@tensorflow/tfjs-core';
import { batches, mnist, type Split, selectExamples } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Budget } from './budget.js';
import { errorCode } from './budget-check.test-util.js';
import { lwiqPlanner, lwiqSelector } from './lwiq.js';
import { lwiqScoreComputations, lwiqScores } from './lwiq-scores.js';
import { lwiqRanks, templateToBudget } from './lwiq-template.js';
import { lenetSmall } from './models.test-util.js';
import { rankProblem, totalCost } from './problem.js';
import type { Calibration } from './selector.js';
import { layerSpectra } from './spectra.js';

const inputShape = [28, 28, 1];
let split: Split;
beforeAll(() => {
  split = selectExamples(
    mnist().train,
    Array.from({ length: 200 }, (_, i) => i),
  );
});

describeBackends('LWIQ: one scoring pass, per-bond template, s×s pooling', () => {
  let cal: Calibration;
  let model: Module;
  beforeAll(() => {
    const b = batches(split, { batchSize: split.count, shuffle: false, normalize: { mean: [0], std: [1] } }).next();
    if (b.done === true) throw new Error('empty split');
    cal = { x: b.value.x, y: b.value.y, numClasses: 10 };
    model = lenetSmall();
  });
  afterAll(() => {
    tf.dispose([cal.x, cal.y]);
    model.dispose();
  });

  it('scores once, then plans every budget without a forward pass, as the selector would; timed', async () => {
    const m = lenetSmall();
    const context = { inputShape, calibration: cal, layers: ['conv2', 'fc1', 'fc2'] };
    const before = lwiqScoreComputations();
    const t0 = performance.now();
    const planner = await lwiqPlanner(m, context);
    const scoring = performance.now() - t0;
    const spy = vi.spyOn(m, 'apply');
    const budgets: Budget[] = [0.5, 0.25, 0.1, 0.05].map((target) => ({ metric: 'params', target }));
    const t1 = performance.now();
    const plans = budgets.map((b) => planner.plan(b));
    const planning = (performance.now() - t1) / budgets.length;
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(lwiqScoreComputations() - before).toBe(1);
    expect(planner.scoreMs).toBeGreaterThan(0);
    // Planning a budget is the bisection + fill only: well under the forward passes of the scoring.
    expect(planning).toBeLessThan(scoring);
    console.info(
      `lwiq: scoring ${scoring.toFixed(1)} ms once, then ${planning.toFixed(2)} ms per budget (${tf.getBackend()})`,
    );
    for (const [i, b] of budgets.entries()) {
      const viaSelector = await lwiqSelector().select(m, b, context);
      expect(plans[i]?.plan).toEqual(viaSelector.plan);
      expect(viaSelector.report.details?.scoresCached).toBe(true);
      expect(plans[i]?.report.achieved).toBeLessThanOrEqual(b.target);
    }
    m.dispose();
  });

  it("the 'bond' template keeps the same fraction of every bond's bound; 'layer' one rank for all bonds", () => {
    const problem = rankProblem(model, { metric: 'params', target: 0.3 }, { inputShape }, { format: 'tt', minRank: 1 });
    const shares = problem.spaces.map(() => 1 / problem.spaces.length);
    const beta = 0.5;
    const bond = lwiqRanks(problem, shares, beta, 'bond');
    const layer = lwiqRanks(problem, shares, beta, 'layer');
    problem.spaces.forEach((s, l) => {
      s.bounds.forEach((b, i) => {
        expect((bond[l] as number[])[i]).toBe(Math.min(b, Math.max(1, Math.round(beta * b))));
      });
      const r = Math.round(beta * Math.max(...s.bounds));
      expect(layer[l]).toEqual(s.bounds.map((b) => Math.min(b, Math.max(1, r))));
    });
    // A layer whose bonds differ in bound (fc1 as TT) differs between the two templates.
    expect(bond).not.toEqual(layer);
  });

  it("the 'spectrum' template keeps the energy fraction 1 − exp(−β·p_l·L) of each bond's spectrum, spent to the budget", () => {
    const problem = rankProblem(model, { metric: 'params', target: 0.2 }, { inputShape }, { format: 'tt', minRank: 1 });
    const L = problem.spaces.length;
    const equal = problem.spaces.map(() => 1 / L);
    // Equal shares: every bond at the energy baseline's rank for τ = 1 − exp(−β).
    for (const beta of [0.5, 1, 3]) {
      const tau = 1 - Math.exp(-beta);
      const ranks = lwiqRanks(problem, equal, beta, 'spectrum');
      problem.spaces.forEach((s, l) => {
        const expected = layerSpectra(s).map((sv) => {
          const e = Array.from(sv, (v) => v * v);
          const total = e.reduce((a, b) => a + b, 0);
          let acc = 0;
          const r = e.findIndex((v) => {
            acc += v;
            return acc >= tau * total;
          });
          return Math.max(1, r + 1);
        });
        expect(ranks[l]).toEqual(expected);
      });
    }
    // A larger share keeps at least as many ranks on every bond of that layer; the others no more.
    const skewed = equal.map((_, l) => (l === 0 ? 2 : 1));
    const sum = skewed.reduce((a, b) => a + b, 0);
    const favoured = lwiqRanks(
      problem,
      skewed.map((v) => v / sum),
      1,
      'spectrum',
    );
    const base = lwiqRanks(problem, equal, 1, 'spectrum');
    expect(favoured).not.toEqual(base);
    for (const [i, r] of (favoured[0] as number[]).entries())
      expect(r).toBeGreaterThanOrEqual((base[0] as number[])[i] as number);
    for (const [i, r] of (favoured[1] as number[]).entries())
      expect(r).toBeLessThanOrEqual((base[1] as number[])[i] as number);
    // Spent to the budget: within it, and no single rank can be raised without leaving it.
    const t = templateToBudget(problem, equal, 'spectrum');
    const cost = totalCost(problem, t.ranks);
    expect(cost).toBeLessThanOrEqual(problem.limit);
    problem.spaces.forEach((s, l) => {
      s.bounds.forEach((b, i) => {
        const r = (t.ranks[l] as number[])[i] as number;
        if (r >= b) return;
        const up = t.ranks.map((x) => [...x]);
        (up[l] as number[])[i] = r + 1;
        expect(totalCost(problem, up)).toBeGreaterThan(problem.limit);
      });
    });
  });

  it("pools conv features to s×s cells ('auto': C·s² ≈ 100), Linear outputs untouched; no leak", async () => {
    await expectNoLeakAsync(async () => {
      const s1 = await lwiqScores(model, cal, { seed: 4 });
      const s2 = await lwiqScores(model, cal, { seed: 4, pool: 2 });
      const sa = await lwiqScores(model, cal, { seed: 4, pool: 'auto' });
      const f = (s: typeof s1, p: string) => s.layers.find((x) => x.path === p)?.features;
      expect([f(s1, 'conv1'), f(s1, 'conv2'), f(s1, 'fc1')]).toEqual([6, 16, 120]);
      expect([f(s2, 'conv1'), f(s2, 'conv2'), f(s2, 'fc1')]).toEqual([24, 64, 120]);
      // conv1: 6 channels → s = round(√(100/6)) = 4; conv2: 16 → s = round(2.5) = 3 (outputs 24×24, 8×8).
      expect([f(sa, 'conv1'), f(sa, 'conv2')]).toEqual([96, 144]);
      for (const l of s2.layers) expect(l.accuracy).toBeGreaterThan(0.1);
    });
    expect(await errorCode(() => lwiqScores(model, cal, { pool: 0 }))).toBe('INVALID_ARGUMENT');
    expect(
      await errorCode(() => lwiqPlanner(model, { inputShape, calibration: cal }, { template: 'x' as 'bond' })),
    ).toBe('INVALID_ARGUMENT');
  });
});
