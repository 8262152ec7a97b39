import * as tf from '@tensorflow/tfjs-core';
import {
  AdaTuckerLayer,
  cacheOnCpu,
  type FactorizationPlan,
  Flatten,
  factorize,
  Linear,
  type Module,
  ReLU,
  Sequential,
} from '@tnzip/layers';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { separateDims } from './ada-dims.js';
import type { RankCapReport } from './ada-layer-model.js';
import { adaMatrixRankCap, genericMatrixRank } from './ada-rank-cap.js';
import { type AdaSelectOptions, adaSelector, scadaSelector } from './ada-select.js';
import { lenet5 } from './models.test-util.js';

const input = [28, 28, 1];
type Plan = Extract<FactorizationPlan[string], { kind: 'ada-tucker' | 'scada-tucker' }>;

/** LeNet-300-100 (784-300-100-10) on [28, 28, 1], seeded weights. */
function lenet300(): Sequential {
  return new Sequential('lenet300', [
    new Flatten('flatten'),
    new Linear('fc1', { inFeatures: 784, outFeatures: 300, seed: 1 }),
    new ReLU('r1'),
    new Linear('fc2', { inFeatures: 300, outFeatures: 100, seed: 2 }),
    new ReLU('r2'),
    new Linear('fc3', { inFeatures: 100, outFeatures: 10, seed: 3 }),
  ]);
}

const prod = (a: readonly number[]): number => a.reduce((p, v) => p * v, 1);

describe('adaMatrixRankCap / genericMatrixRank', () => {
  it("gives the issue's hypercube caps: a classifier 500×10 at [10,10,10,5], ranks 2, is capped at 4", () => {
    // 10 = 5 (last mode) × 2 (of the third mode): rank ≤ min(2·2·5, 2·2) = 4.
    const c = adaMatrixRankCap([10, 10, 10, 5], [2, 2, 2, 2], 500, 10);
    expect(c).toMatchObject({ cap: 4, structural: true });
    expect(genericMatrixRank([10, 10, 10, 5], [2, 2, 2, 2], 500, 10)).toBe(4);
    // Separated dims: the split falls between the modes, the cap is min(Π r_in, Π r_out).
    expect(adaMatrixRankCap([10, 10, 5, 2], [3, 4, 5, 2], 100, 10).cap).toBe(10);
    expect(adaMatrixRankCap([10, 10, 5, 2], [3, 2, 5, 2], 100, 10).cap).toBe(6);
    // No split: only min(rows, cols) is known.
    expect(adaMatrixRankCap([7, 5, 3], [1, 1, 1], 21, 5)).toMatchObject({ cap: 5, structural: false });
  });

  it('the structural cap bounds the rank of generic Tucker tensors, and is attained when dims split exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        (dims, cut, seed) => {
          const split = 1 + (cut % (dims.length - 1));
          const cols = prod(dims.slice(split));
          const rows = prod(dims.slice(0, split));
          const ranks = dims.map((m, i) => 1 + ((seed + i) % m));
          const c = adaMatrixRankCap(dims, ranks, rows, cols);
          expect(c.structural).toBe(true);
          expect(genericMatrixRank(dims, ranks, rows, cols, seed)).toBe(c.cap);
          // A straddling split (cols a multiple of the last dims, inside a mode): an upper bound.
          const last = dims[dims.length - 1] as number;
          const m = dims[dims.length - 2] as number;
          if (m % 2 === 0) {
            const s = adaMatrixRankCap(dims, ranks, prod(dims) / (2 * last), 2 * last);
            expect(genericMatrixRank(dims, ranks, prod(dims) / (2 * last), 2 * last, seed)).toBeLessThanOrEqual(s.cap);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('separateDims', () => {
  it('keeps the inputs and the outputs of fc1 (784×300) in separate modes, outputs last', () => {
    for (const options of [{}, { order: 8 }, { maxDim: 12 }, { pad: false }]) {
      const s = separateDims(784, 300, options) as { dims: number[]; inputModes: number };
      const inputs = s.dims.slice(0, s.inputModes);
      const outputs = s.dims.slice(s.inputModes);
      expect(prod(outputs)).toBe(300);
      expect(prod(inputs)).toBeGreaterThanOrEqual(784);
      if (options.pad === false) expect(prod(inputs)).toBe(784);
      if (options.order !== undefined) expect(s.dims).toHaveLength(8);
      expect(adaMatrixRankCap(s.dims, s.dims, 784, 300)).toMatchObject({ cap: 300, structural: true });
    }
    expect(separateDims(784, 300, { order: 1 })).toBeNull();
    // A classifier's 10 outputs: [5, 2].
    expect(separateDims(100, 10)?.dims.slice(-2)).toEqual([5, 2]);
  });
});

describeBackends('ADA / SCADA per-mode ranks', () => {
  const nets: Array<[string, () => Module, string]> = [
    ['lenet300', lenet300, 'fc3'],
    ['lenet5', lenet5, 'fc2'],
  ];

  it('land within 5 % of the budget at 50x / 200x / 691x, compress every layer and keep the classifier at rank 10', async () => {
    for (const [name, make, classifier] of nets) {
      const model = make();
      for (const factor of [50, 200, 691])
        for (const sel of [adaSelector({ biases: 'exclude' }), scadaSelector({ biases: 'exclude' })]) {
          const { plan, report } = await sel.select(
            model,
            { metric: 'params', target: 1 / factor },
            { inputShape: input },
          );
          const d = report.details as { cost: number; limit: number; rankCaps: Record<string, RankCapReport> };
          const what = `${name} ${factor}x ${sel.name}`;
          expect(d.cost, what).toBeLessThanOrEqual(d.limit);
          expect(d.cost / d.limit, what).toBeGreaterThanOrEqual(0.95);
          // Every Conv2d / Linear is planned: the first conv and the classifier too.
          const layers = model.namedModules().filter(([, m]) => m.kind === 'conv2d' || m.kind === 'linear');
          expect(Object.keys(plan).sort()).toEqual(layers.map(([p]) => p).sort());
          expect(d.rankCaps[classifier], what).toMatchObject({ required: 10, ok: true });
          expect((d.rankCaps[classifier] as RankCapReport).cap).toBeGreaterThanOrEqual(10);
          // The cost is the plan's: cores (once for SCADA) and factors.
          let cost = 0;
          for (const [i, p] of (Object.values(plan) as Plan[]).entries()) {
            cost += p.dims.reduce((a, m, k) => a + m * (p.ranks[k] as number), 0);
            if (p.kind === 'scada-tucker') cost += 1 + (i === 0 ? prod(p.ranks) : 0);
            else cost += prod(p.ranks);
          }
          expect(cost, what).toBe(d.cost);
        }
      model.dispose();
    }
  });

  it('refuse a plan that caps a layer below its required rank, or flag it when allowed', async () => {
    const model = lenet300();
    const budget = { metric: 'params' as const, target: 1 / 691 };
    const required = { fc1: 300 };
    expect(() => adaSelector({ biases: 'exclude', required }).select(model, budget, { inputShape: input })).toThrow(
      /layer 'fc1' must keep matrix rank 300/,
    );
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TnzipError);
        return (e as TnzipError).code;
      }
      return 'no error';
    };
    expect(
      code(() => scadaSelector({ biases: 'exclude', required }).select(model, budget, { inputShape: input })),
    ).toBe('INVALID_BUDGET');
    for (const sel of [adaSelector, scadaSelector]) {
      const { report } = await sel({ biases: 'exclude', required, allowRankCaps: true }).select(model, budget, {
        inputShape: input,
      });
      const caps = (report.details as { rankCaps: Record<string, RankCapReport> }).rankCaps;
      expect(caps.fc1?.ok).toBe(false);
      expect(caps.fc1?.cap).toBeLessThan(300);
    }
    const bads: AdaSelectOptions[] = [
      { required: { nope: 2 } },
      { required: { fc1: 0 } },
      { allowRankCaps: 1 as never },
    ];
    for (const bad of bads)
      expect(code(() => adaSelector(bad).select(model, budget, { inputShape: input }))).toBe('INVALID_ARGUMENT');
    expect(code(() => adaSelector({ dims: 'x' as never }))).toBe('INVALID_ARGUMENT');
    model.dispose();
  });

  it('an order-8 plan factorizes and runs (no order cap)', async () => {
    const model = lenet300();
    const { plan, report } = await adaSelector({ dims: 'separate', order: 8 }).select(
      model,
      { metric: 'params', target: 1 / 50 },
      { inputShape: input },
    );
    expect((report.details as { orders: Record<string, number> }).orders.fc1).toBe(8);
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1);
    const before = model.apply(x, { training: false }) as tf.Tensor;
    await cacheOnCpu(model); // factorize reads the weights synchronously (webgpu in Node cannot)
    factorize(model, plan, { adaInit: 'decompose' });
    expect(model.namedModules().filter(([, m]) => m instanceof AdaTuckerLayer)).toHaveLength(3);
    const after = model.apply(x, { training: false }) as tf.Tensor;
    const finite = tf.all(tf.isFinite(after));
    expect((await finite.data())[0]).toBe(1);
    expect(after.shape).toEqual(before.shape);
    tf.dispose([x, before, after, finite]);
    model.dispose();
  });
});
