import * as tf from '@tensorflow/tfjs-core';
import { type FactorizationPlan, factorize, Linear, type Module, ReLU, Sequential, summary } from '@tnzip/layers';
import { Rng, TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Budget } from './budget.js';
import { energySelector } from './energy.js';
import { greedySelector } from './greedy.js';
import type { RankFormat } from './layer-space.js';
import { lenetSmall, resnetSmall } from './models.test-util.js';
import { type RankProblemOptions, rankProblem, totalCost } from './problem.js';
import type { RankSelector, SelectionContext, SelectionReport } from './selector.js';
import { layerSpectra } from './spectra.js';
import { uniformSelector } from './uniform.js';
import { vbmfSelector } from './vbmf.js';

type Factory = (o: RankProblemOptions) => RankSelector;
const factories: Array<[string, Factory]> = [
  ['uniform', uniformSelector],
  ['energy', energySelector],
  ['vbmf', vbmfSelector],
  ['greedy', greedySelector],
];
const formats: RankFormat[] = ['tucker2', 'tt'];
const budgets: Budget[] = [
  { metric: 'params', target: 0.25 },
  { metric: 'macs', target: 0.5 },
  { metric: 'params', target: 0.1 },
];

function select(
  sel: RankSelector,
  model: Module,
  budget: Budget,
  context: SelectionContext,
): { plan: FactorizationPlan; report: SelectionReport } {
  const r = sel.select(model, budget, context);
  if (r instanceof Promise) throw new Error('baseline selectors are synchronous');
  return r;
}

/**
 * The plan costs at most the budget, every rank lies in [max(1, minRank clamped), bound], and
 * raising any single rank below its bound by one exceeds the budget. The report's totals agree.
 */
function expectWithinOneStep(
  model: Module,
  plan: FactorizationPlan,
  report: SelectionReport,
  budget: Budget,
  context: SelectionContext,
  options: RankProblemOptions,
): void {
  const problem = rankProblem(model, budget, context, options);
  expect(Object.keys(plan).sort()).toEqual(problem.spaces.map((s) => s.path).sort());
  const ranks = problem.spaces.map((s) => {
    const lp = plan[s.path];
    if (lp === undefined) throw new Error(`no plan for ${s.path}`);
    return s.ranksOf(lp);
  });
  const total = totalCost(problem, ranks);
  expect(total).toBeLessThanOrEqual(problem.limit);
  expect(report.planned[problem.metric]).toBe(total);
  expect(report.dense[problem.metric]).toBe(problem.denseTotal);
  expect(report.achieved).toBeLessThanOrEqual(budget.target);
  problem.spaces.forEach((s, l) => {
    const r = ranks[l] as number[];
    s.bounds.forEach((b, i) => {
      const ri = r[i] as number;
      expect(Number.isInteger(ri)).toBe(true);
      expect(ri).toBeGreaterThanOrEqual(Math.min(options.minRank ?? 1, b));
      expect(ri).toBeLessThanOrEqual(b);
      if (ri < b) {
        const up = ranks.map((x) => [...x]);
        (up[l] as number[])[i] = ri + 1;
        expect(totalCost(problem, up), `${s.path} mode ${s.modes[i]} +1`).toBeGreaterThan(problem.limit);
      }
    });
  });
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TnzipError);
    return (e as TnzipError).code;
  }
  return 'no error';
}

describeBackends('baseline selectors', () => {
  const models: Array<[string, () => Sequential, number[]]> = [
    ['LeNet-5-like', lenetSmall, [28, 28, 1]],
    ['ResNet-8-like', resnetSmall, [16, 16, 3]],
  ];
  for (const [label, make, inputShape] of models) {
    describe(label, () => {
      let model: Sequential;
      beforeAll(() => {
        model = make();
      });
      afterAll(() => model.dispose());
      for (const [name, factory] of factories) {
        for (const format of formats) {
          it(`${name} (${format}) meets every budget within one rank step and respects the bounds`, () => {
            for (const budget of budgets) {
              const sel = factory({ format });
              const { plan, report } = select(sel, model, budget, { inputShape });
              expect(report.method).toBe(name);
              expect(report.searchMs).toBeGreaterThanOrEqual(0);
              expectWithinOneStep(model, plan, report, budget, { inputShape }, { format });
            }
          });
        }
      }
    });
  }

  it('minRank and a subset of layers are honoured', () => {
    const model = resnetSmall();
    const layers = ['layer2.0.conv1', 'layer2.0.conv2', 'layer3.0.conv2'];
    for (const [, factory] of factories) {
      const options = { format: 'tucker2' as const, minRank: 4 };
      const context = { inputShape: [16, 16, 3], layers };
      const budget: Budget = { metric: 'params', target: 0.3 };
      const { plan, report } = select(factory(options), model, budget, context);
      expect(Object.keys(plan)).toEqual(layers);
      expect(report.layers.map((r) => r.layer)).toEqual(layers);
      expectWithinOneStep(model, plan, report, budget, context, options);
    }
    model.dispose();
  });

  it('the plan factorizes, and the factorized model costs what the report says', () => {
    for (const format of formats) {
      const model = lenetSmall();
      const budget: Budget = { metric: 'params', target: 0.2 };
      const { plan, report } = select(greedySelector({ format }), model, budget, { inputShape: [28, 28, 1] });
      factorize(model, plan);
      const rows = new Map(summary(model, [28, 28, 1]).rows.map((r) => [r.name, r]));
      for (const r of report.layers) {
        expect(rows.get(r.layer)?.params, r.layer).toBe(r.params);
        expect(rows.get(r.layer)?.macs, r.layer).toBe(r.macs);
      }
      model.dispose();
    }
  });

  it('selection is deterministic and leaks no tensor', () => {
    const model = lenetSmall();
    for (const [, factory] of factories) {
      for (const format of formats) {
        const budget: Budget = { metric: 'macs', target: 0.3 };
        const a = select(factory({ format }), model, budget, { inputShape: [28, 28, 1] });
        let b: ReturnType<typeof select> | undefined;
        expectNoLeak(() => {
          b = select(factory({ format }), model, budget, { inputShape: [28, 28, 1] });
        });
        expect(b?.plan).toEqual(a.plan);
        expect({ ...b?.report, searchMs: 0 }).toEqual({ ...a.report, searchMs: 0 });
      }
    }
    model.dispose();
  });

  it('invalid and unreachable budgets are rejected with INVALID_BUDGET', () => {
    const model = lenetSmall();
    const ctx = { inputShape: [28, 28, 1] };
    for (const [, factory] of factories) {
      const sel = factory({});
      for (const b of [
        { metric: 'params', target: 0 },
        { metric: 'params', target: 1.5 },
        { metric: 'macs', target: Number.NaN },
        { metric: 'params', target: 'abc' },
        { metric: 'flops', target: 0.5 },
      ]) {
        expect(
          code(() => select(sel, model, b as unknown as Budget, ctx)),
          JSON.stringify(b),
        ).toBe('INVALID_BUDGET');
      }
      // Every rank at 1 still keeps the biases and the 1×1 factors: 1e-4 is out of reach.
      expect(code(() => select(sel, model, { metric: 'params', target: 1e-4 }, ctx))).toBe('INVALID_BUDGET');
    }
    expect(
      code(() =>
        select(uniformSelector({ format: 'cp' as RankFormat }), model, { metric: 'params', target: 0.5 }, ctx),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(code(() => select(uniformSelector({ minRank: 0 }), model, { metric: 'params', target: 0.5 }, ctx))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      code(() =>
        select(
          uniformSelector(),
          model,
          { metric: 'params', target: 0.5 },
          { inputShape: [28, 28, 1], layers: ['nope'] },
        ),
      ),
    ).toBe('NOT_FOUND');
    expect(
      code(() =>
        select(
          uniformSelector(),
          model,
          { metric: 'params', target: 0.5 },
          { inputShape: [28, 28, 1], layers: ['pool1'] },
        ),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      code(() => select(uniformSelector(), model, { metric: 'params', target: 0.5 }, { inputShape: [28, 28, 3] })),
    ).toBe('SHAPE_MISMATCH');
    expect(code(() => greedySelector({ normalize: 'l2' as 'max' }))).toBe('INVALID_ARGUMENT');
    model.dispose();
  });

  it('VBMF and greedy follow the spectrum: a layer of rank 3 + noise is found to have rank 3', () => {
    const model = new Sequential('mlp', [
      new Linear('fc1', { inFeatures: 64, outFeatures: 48, seed: 1 }),
      new ReLU('r1'),
      new Linear('fc2', { inFeatures: 48, outFeatures: 32, seed: 2 }),
    ]);
    const fc1 = model.children()[0] as Linear;
    const rng = new Rng(5);
    const a = rng.normals(64 * 3);
    const b = rng.normals(3 * 48);
    const w = new Float32Array(64 * 48);
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < 48; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += (a[i * 3 + k] as number) * (b[k * 48 + j] as number) * (3 - k);
        w[i * 48 + j] = s + 0.01 * rng.normal();
      }
    }
    tf.tidy(() => fc1.weight.assign(tf.tensor2d(w, [64, 48])));
    const ctx = { inputShape: [64] };
    const { report } = select(vbmfSelector(), model, { metric: 'params', target: 0.5 }, ctx);
    expect((report.details?.vbmfRanks as Record<string, number[]> | undefined)?.fc1).toEqual([3]);
    // Greedy: the fc1 components past the third carry ~0.01 of the energy per unit cost that
    // fc2's (random, full-rank) components do, so fc1 stops at 3 while fc2 takes the rest.
    const g = select(greedySelector(), model, { metric: 'params', target: 0.5 }, ctx);
    const fc1Plan = g.plan.fc1;
    expect(fc1Plan?.kind === 'tt' ? fc1Plan.ranks : null).toEqual([3]);
    // Thresholds are the smallest kept singular value of each unfolding.
    const problem = rankProblem(model, { metric: 'params', target: 0.5 }, ctx);
    const s = layerSpectra(problem.spaces[0] as (typeof problem.spaces)[number])[0] as Float64Array;
    expect((g.report.details?.thresholds as Record<string, number[]> | undefined)?.fc1).toEqual([s[2]]);
    model.dispose();
  });
});
