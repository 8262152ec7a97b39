import type { FactorizationPlan, Module } from '@tnzip/layers';
import { describeBackends } from '@tnzip/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Budget, CheckedBudget, CostMetric } from './budget.js';
import { errorCode, expectMaximalPlan } from './budget-check.test-util.js';
import { energySelector } from './energy.js';
import { greedySelector } from './greedy.js';
import { lwiqSelector } from './lwiq.js';
import { lenet5 } from './models.test-util.js';
import { type DenseFallback, factorizedAt, metricOf, planOf, rankProblem, totalCost } from './problem.js';
import type { RankSelector, SelectionReport } from './selector.js';
import { uniformSelector } from './uniform.js';
import { vbmfSelector } from './vbmf.js';

const inputShape = [28, 28, 1];
const context = { inputShape, layers: ['conv2', 'fc1'] };

async function run(sel: RankSelector, model: Module, budget: Budget) {
  return await sel.select(model, budget, context);
}

/** No layer of the report costs as much as its dense layer by `metrics` unless it is planned dense. */
function expectNoDearerThanDense(report: SelectionReport, metrics: readonly CostMetric[]): void {
  for (const row of report.layers) {
    if (row.plan.kind === 'dense') {
      expect(row.params).toBe(row.denseParams);
      expect(row.macs).toBe(row.denseMacs);
      continue;
    }
    for (const m of metrics) {
      const dense = m === 'params' ? row.denseParams : row.denseMacs;
      expect(m === 'params' ? row.params : row.macs, `${row.layer} ${m}`).toBeLessThan(dense);
    }
  }
}

describeBackends('dense fallback of the rank problem', () => {
  let model: Module;
  beforeAll(() => {
    model = lenet5();
  });
  afterAll(() => model.dispose());

  it("'none' (default) keeps the historical plans: greedy at 4x params gives conv2 full Tucker-2 ranks, dearer than dense", async () => {
    // The case the CLI author reported: conv2 (20→50, 5×5) at (20, 50) costs 27,900 params > 25,000.
    const { plan, report } = await run(greedySelector(), model, { metric: 'params', target: 0.25 });
    expect(plan.conv2).toEqual({ kind: 'tucker2', rankS: 20, rankT: 50 });
    const row = report.layers.find((r) => r.layer === 'conv2');
    expect(row?.params).toBeGreaterThan(row?.denseParams as number);
  });

  it("'both': the same greedy plan keeps conv2 dense instead, meets the budget and is maximal", async () => {
    const budget: Budget = { metric: 'params', target: 0.25 };
    const { plan, report } = await run(greedySelector({ denseFallback: 'both' }), model, budget);
    expect(plan.conv2).toEqual({ kind: 'dense' });
    expectNoDearerThanDense(report, ['params', 'macs']);
    expect(report.achieved).toBeLessThanOrEqual(budget.target);
    expectMaximalPlan(model, plan, report, budget, context, { denseFallback: 'both' });
  });

  it("'both' at a MACs budget: no layer keeps a factorization with more params than dense (fc1 at 2.5x MACs)", async () => {
    const budget: Budget = { metric: 'macs', target: 0.4 };
    const { report } = await run(greedySelector({ denseFallback: 'both' }), model, budget);
    expectNoDearerThanDense(report, ['params', 'macs']);
    const { report: loose } = await run(greedySelector({ denseFallback: 'metric' }), model, budget);
    expectNoDearerThanDense(loose, ['macs']);
  });

  const factories: Array<[string, (f: DenseFallback) => RankSelector]> = [
    ['uniform', (f) => uniformSelector({ denseFallback: f })],
    ['energy', (f) => energySelector({ denseFallback: f })],
    ['vbmf', (f) => vbmfSelector({ denseFallback: f })],
    ['greedy', (f) => greedySelector({ denseFallback: f })],
    ['uniform tt', (f) => uniformSelector({ denseFallback: f, format: 'tt' })],
    ['greedy tt', (f) => greedySelector({ denseFallback: f, format: 'tt' })],
  ];
  const budgets: CheckedBudget[] = [
    { metric: 'params', target: 0.5 },
    { metric: 'params', target: 0.25 },
    { metric: 'macs', target: 0.4 },
    { metric: 'params', target: 0.02 },
  ];
  for (const [name, make] of factories) {
    it(`${name}: with 'both' and 'metric' every budget is met within one rank step, no planned layer dearer than dense`, async () => {
      for (const fallback of ['both', 'metric'] as const) {
        const format = name.endsWith('tt') ? ('tt' as const) : ('tucker2' as const);
        for (const budget of budgets) {
          const { plan, report } = await run(make(fallback), model, budget);
          expectMaximalPlan(model, plan, report, budget, context, { denseFallback: fallback, format });
          expectNoDearerThanDense(report, [budget.metric]);
          expect(report.planned[budget.metric]).toBeLessThanOrEqual(budget.target * report.dense[budget.metric]);
        }
      }
    });
  }

  it('the fallback cost is monotone in every rank and planOf marks exactly the layers that do not pay', () => {
    const problem = rankProblem(model, { metric: 'params', target: 0.5 }, context, { denseFallback: 'both' });
    const [conv2, fc1] = problem.spaces;
    if (conv2 === undefined || fc1 === undefined) throw new Error('no conv2 / fc1');
    const fc1AtOne = metricOf(fc1.cost([1]), 'params');
    let prev = -1;
    for (let r = 1; r <= (conv2.bounds[1] as number); r++) {
      const ranks = [[20, r], [1]];
      const c = totalCost(problem, ranks);
      expect(c).toBeGreaterThanOrEqual(prev);
      prev = c;
      const plan: FactorizationPlan = planOf(problem, ranks);
      const pays = factorizedAt(problem, 0, [20, r]);
      expect(plan.conv2?.kind).toBe(pays ? 'tucker2' : 'dense');
      if (!pays) expect(c - fc1AtOne).toBe(conv2.dense.params);
    }
    // (20, 50) is dearer than dense; (20, 40) is not: 20·20 + 25·20·40 + 40·50 = 22,400 < 25,000.
    expect(factorizedAt(problem, 0, [20, 50])).toBe(false);
    expect(factorizedAt(problem, 0, [20, 40])).toBe(true);
  });

  it('LWIQ (TT) honours the fallback too', async () => {
    const x = (await import('@tensorflow/tfjs-core')).randomNormal([32, 28, 28, 1], 0, 1, 'float32', 1);
    const y = (await import('@tensorflow/tfjs-core')).tensor1d(
      Array.from({ length: 32 }, (_, i) => i % 10),
      'int32',
    );
    try {
      const budget: Budget = { metric: 'params', target: 0.5 };
      const sel = lwiqSelector({ denseFallback: 'both' });
      const { report } = await sel.select(model, budget, { ...context, calibration: { x, y, numClasses: 10 } });
      expectNoDearerThanDense(report, ['params']);
      expect(report.achieved).toBeLessThanOrEqual(budget.target);
    } finally {
      x.dispose();
      y.dispose();
    }
  });

  it('an unknown denseFallback is rejected with TnzipError INVALID_ARGUMENT', async () => {
    expect(
      await errorCode(() =>
        rankProblem(model, { metric: 'params', target: 0.5 }, context, { denseFallback: 'never' as DenseFallback }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });
});

describe('dense fallback', () => {
  it('is exported from the internal entry (solver internals), not from the public barrel', async () => {
    const m = await import('./internal/index.js');
    expect(typeof m.factorizedAt).toBe('function');
    expect(typeof m.layerCost).toBe('function');
    const pub: Record<string, unknown> = await import('./index.js');
    for (const name of ['factorizedAt', 'layerCost', 'fillToBudget', 'batudeProject', 'rankProblem', 'greedyAllocate'])
      expect(pub[name], name).toBeUndefined();
  });
});
