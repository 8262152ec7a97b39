import * as tf from '@tensorflow/tfjs-core';
import { AdaTuckerLayer, countParams, type FactorizationPlan, factorize, type Module, planCost } from '@tnzip/layers';
import { balancedDims, TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADA_DEFAULT_MAX_ORDER, adjustDims, autoOrder } from './ada-dims.js';
import { storageRatios } from './ada-ratios.js';
import { type AdaSelectOptions, adaSelector, scadaSelector } from './ada-select.js';
import type { Budget } from './budget.js';
import { compressibleLayers } from './compressible.js';
import { lenet5, lenetSmall } from './models.test-util.js';
import type { RankSelector } from './selector.js';

const input = [28, 28, 1];
type Plan = Extract<FactorizationPlan[string], { kind: 'ada-tucker' | 'scada-tucker' }>;

async function select(sel: RankSelector, model: Module, budget: Budget, layers?: string[]) {
  return sel.select(model, budget, { inputShape: input, ...(layers === undefined ? {} : { layers }) });
}

/** Weight size, bias size and paths of the compressible layers. */
function sizes(model: Module): Array<{ path: string; n: number; bias: number }> {
  return compressibleLayers(model, input).map((c) => {
    const l = c.layer;
    const n =
      'kernelSize' in l
        ? l.kernelSize[0] * l.kernelSize[1] * l.inChannels * l.outChannels
        : l.inFeatures * l.outFeatures;
    return { path: c.path, n, bias: l.bias === null ? 0 : l.bias.size };
  });
}

function paramsOf(p: Plan, owns = true): number {
  const core = p.ranks.reduce((a, r) => a * r, 1);
  return (
    p.dims.reduce((a, m, i) => a + m * (p.ranks[i] as number), 0) +
    (owns ? core : 0) +
    (p.kind === 'scada-tucker' ? 1 : 0)
  );
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

async function asyncCode(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(TnzipError);
    return (e as TnzipError).code;
  }
  return 'no error';
}

describe('adjustDims (dimension adjustment)', () => {
  it('covers the weight: product n without padding, n ≤ product with padding; descending; auto keeps modes ≤ maxDim', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500_000 }),
        fc.integer({ min: 4, max: 16 }),
        fc.boolean(),
        (n, maxDim, pad) => {
          const dims = adjustDims(n, { maxDim, pad, maxOrder: 8 });
          const p = dims.reduce((a, b) => a * b, 1);
          if (pad) expect(p).toBeGreaterThanOrEqual(n);
          else expect(p).toBe(n);
          for (let i = 1; i < dims.length; i++) expect(dims[i - 1] as number).toBeGreaterThanOrEqual(dims[i] as number);
          const d = autoOrder(n, maxDim, pad, 8);
          expect(dims.length).toBe(d);
          // The rule: the smallest order whose modes are ≤ maxDim (or the cap).
          if (d < 8) expect(dims[0] as number).toBeLessThanOrEqual(maxDim);
          if (d > 1) expect(balancedDims(n, d - 1, { pad })[0] as number).toBeGreaterThan(maxDim);
        },
      ),
      { seed: 5, numRuns: 150 },
    );
  });

  it('padding stays small and balances a prime size; the default order search range holds it', () => {
    const dims = adjustDims(1009, { order: 3 });
    expect(dims).toEqual([16, 8, 8]);
    expect(adjustDims(1009, { order: 3, pad: false })).toEqual([1009, 1, 1]);
    expect(adjustDims(400_000).length).toBeLessThanOrEqual(ADA_DEFAULT_MAX_ORDER);
    expect(code(() => adjustDims(10, { order: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => adjustDims(10, { maxDim: 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => adjustDims(0))).toBe('INVALID_ARGUMENT');
  });
});

describeBackends('ADA / SCADA-Tucker selectors', () => {
  const budgets: Budget[] = [
    { metric: 'params', target: 0.1 },
    { metric: 'params', target: 0.02 },
    { metric: 'params', target: 1 / 300 },
  ];
  const optionSets: AdaSelectOptions[] = [
    {},
    { biases: 'exclude' },
    // allowRankCaps: order 3 at 300x (biases counted) cannot pay for a classifier of rank 10.
    { order: 3, maxDim: 12, allowRankCaps: true },
    // allowRankCaps: at 300x with every mode rank >= 2 the budget cannot keep the classifier at rank 10.
    { minRank: 2, pad: false, allowRankCaps: true },
  ];

  it('ADA meets each budget within one per-mode rank step and respects the bounds', async () => {
    const model = lenet5();
    const layers = sizes(model);
    for (const options of optionSets)
      for (const budget of budgets) {
        const countBias = options.biases !== 'exclude';
        const { plan, report } = await select(adaSelector(options), model, budget);
        const dense = layers.reduce((a, l) => a + l.n + (countBias ? l.bias : 0), 0);
        const limit = budget.target * dense;
        const details = report.details as { ranks: Record<string, number[]>; cost: number };
        let total = 0;
        const cost: number[] = [];
        for (const l of layers) {
          const p = plan[l.path] as Plan;
          expect(p.kind).toBe('ada-tucker');
          // Dims cover the weight (zero-padded when the product exceeds it).
          const prod = p.dims.reduce((a, b) => a * b, 1);
          expect(prod).toBeGreaterThanOrEqual(l.n);
          if (options.pad === false) expect(prod).toBe(l.n);
          if (typeof options.order === 'number') expect(p.dims).toHaveLength(options.order);
          expect(details.ranks[l.path]).toEqual(p.ranks);
          p.ranks.forEach((ri, i) => {
            expect(ri).toBeLessThanOrEqual(p.dims[i] as number);
            expect(ri).toBeGreaterThanOrEqual(Math.min(options.minRank ?? 1, p.dims[i] as number));
          });
          const c = paramsOf(p) + (countBias ? l.bias : 0);
          cost.push(c);
          total += c;
        }
        expect(total).toBe(details.cost);
        expect(total).toBeLessThanOrEqual(limit);
        if (countBias) expect(report.achieved).toBeLessThanOrEqual(budget.target);
        // The classifier keeps its 10 classes (or, where allowed, is flagged).
        const cap = (report.details as { rankCaps: Record<string, { cap: number; ok: boolean }> }).rankCaps.fc2;
        expect(cap?.ok).toBe((cap?.cap as number) >= 10);
        if (options.allowRankCaps !== true) expect(cap?.ok).toBe(true);
        // Within one step: raising any one mode rank of any layer by one exceeds the budget.
        layers.forEach((l, i) => {
          const p = plan[l.path] as Plan;
          p.ranks.forEach((r, k) => {
            if (r >= (p.dims[k] as number)) return;
            const up: Plan = { ...p, ranks: p.ranks.map((v, j) => (j === k ? v + 1 : v)) };
            expect(
              total - (cost[i] as number) + paramsOf(up) + (countBias ? l.bias : 0),
              `${l.path} mode ${k} +1`,
            ).toBeGreaterThan(limit);
          });
        });
        // The report's planned params are planCost's (biases counted).
        const planned = layers.reduce((a, l) => {
          const c = compressibleLayers(model, input).find((x) => x.path === l.path);
          return a + planCost(c?.layer as never, plan[l.path] as Plan, c?.inputShape as number[]).params;
        }, 0);
        expect(report.planned.params).toBe(planned);
      }
    model.dispose();
  });

  it('SCADA shares one group and one core (per-mode ranks), and meets the budget within one step of any rank', async () => {
    const model = lenet5();
    const layers = sizes(model);
    for (const options of [{}, { biases: 'exclude' as const }, { order: 4 }, { order: 'auto' as const }])
      for (const budget of budgets) {
        const countBias = (options as AdaSelectOptions).biases !== 'exclude';
        const { plan, report } = await select(scadaSelector(options), model, budget);
        const d = report.details as { order: number; ranks: number[]; rankBounds: number[]; cost: number };
        const plans = layers.map((l) => plan[l.path] as Plan);
        const groups = new Set(plans.map((p) => (p.kind === 'scada-tucker' ? p.group : '')));
        expect([...groups]).toEqual(['scada']);
        for (const [i, p] of plans.entries()) {
          expect(p.kind).toBe('scada-tucker');
          expect(p.dims.length).toBe(d.order);
          expect(p.ranks).toEqual(d.ranks);
          expect(p.dims.reduce((a, b) => a * b, 1)).toBeGreaterThanOrEqual((layers[i] as { n: number }).n);
          p.dims.forEach((m, k) => {
            expect(m).toBeGreaterThanOrEqual(d.ranks[k] as number);
          });
        }
        if (typeof (options as { order?: unknown }).order === 'number') expect(d.order).toBe(4);
        const dense = layers.reduce((a, l) => a + l.n + (countBias ? l.bias : 0), 0);
        const biases = countBias ? layers.reduce((a, l) => a + l.bias, 0) : 0;
        const total = plans.reduce((a, p, i) => a + paramsOf(p, i === 0), 0) + biases;
        expect(total).toBe(d.cost);
        expect(total).toBeLessThanOrEqual(budget.target * dense);
        if (countBias) expect(report.achieved).toBeLessThanOrEqual(budget.target);
        // One step up in any mode k (small modes padded up to it: max(dims, r_k + 1)) exceeds the
        // budget, unless r_k is at its bound.
        d.ranks.forEach((rk, k) => {
          if (rk >= (d.rankBounds[k] as number)) return;
          const r1 = d.ranks.map((v, j) => (j === k ? v + 1 : v));
          const up = plans.reduce(
            (a, p) => a + p.dims.reduce((s, m, j) => s + Math.max(m, r1[j] as number) * (r1[j] as number), 0) + 1,
            r1.reduce((x, y) => x * y, 1) + biases,
          );
          expect(up).toBeGreaterThan(budget.target * dense);
        });
      }
    model.dispose();
  });

  it('rejects invalid budgets, MACs budgets, budgets below the smallest plan and bad options with TnzipError', async () => {
    const model = lenetSmall();
    for (const sel of [adaSelector(), scadaSelector()]) {
      for (const target of [0, -0.1, 1.5, Number.NaN]) {
        expect(await asyncCode(async () => select(sel, model, { metric: 'params', target }))).toBe('INVALID_BUDGET');
      }
      expect(await asyncCode(async () => select(sel, model, { metric: 'macs', target: 0.5 }))).toBe('INVALID_BUDGET');
      expect(await asyncCode(async () => select(sel, model, { metric: 'params', target: 1e-6 }))).toBe(
        'INVALID_BUDGET',
      );
      expect(await asyncCode(async () => sel.select(model, { metric: 'params', target: 0.1 }, {} as never))).toBe(
        'INVALID_ARGUMENT',
      );
    }
    expect(code(() => adaSelector({ order: 17 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => scadaSelector({ group: '' }))).toBe('INVALID_ARGUMENT');
    expect(
      await asyncCode(async () =>
        select(adaSelector({ biases: 'no' as never }), model, { metric: 'params', target: 0.1 }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      await asyncCode(async () => select(adaSelector({ minRank: 0 }), model, { metric: 'params', target: 0.1 })),
    ).toBe('INVALID_ARGUMENT');
    model.dispose();
  });

  it('plans factorize (decomposed and random init) into models that cost what storageRatios says, without leaks', async () => {
    for (const sel of [adaSelector(), scadaSelector()]) {
      for (const init of ['decompose', 'random'] as const) {
        const model = lenetSmall();
        const { plan, report } = await select(sel, model, { metric: 'params', target: 0.05 }, ['conv2', 'fc1', 'fc2']);
        const ratios = storageRatios(model, plan, { inputShape: input, layers: ['conv2', 'fc1', 'fc2'] });
        const denseNet = countParams(model);
        expect(ratios.network.withBiases.dense).toBe(denseNet);
        expect(ratios.compressible.withBiases.planned).toBe(report.planned.params);
        factorize(model, plan, { adaInit: init, seed: 3 });
        expect(countParams(model)).toBe(ratios.network.withBiases.planned);
        expect(model.namedModules().filter(([, m]) => m instanceof AdaTuckerLayer)).toHaveLength(3);
        expect(ratios.network.weightsOnly.ratio).toBeGreaterThan(ratios.network.withBiases.ratio);
        await expectNoLeakAsync(async () => {
          const x = tf.ones([2, 28, 28, 1]);
          const y = model.apply(x, { training: false }) as tf.Tensor;
          expect(y.shape).toEqual([2, 10]);
          const g = tf.variableGrads(() => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
          for (const t of Object.values(g.grads)) {
            const s = tf.sum(t);
            expect(Number.isFinite((await s.data())[0] as number)).toBe(true);
            s.dispose();
          }
          return [x, y, g.value, g.grads];
        });
        model.dispose();
      }
    }
  });
});
