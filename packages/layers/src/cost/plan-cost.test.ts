import { TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { factorize, factorizeLayer } from '../factorized/factorize.js';
import { Conv2d } from '../layers/conv2d.js';
import { Linear } from '../layers/linear.js';
import { Sequential } from '../layers/sequential.js';
import type { ExecutionMode, LayerPlan } from '../plan.js';
import { planCost } from './plan-cost.js';

/** Conv geometries that exercise stride, 'same'/'valid'/explicit padding, dilation and 1×1 kernels. */
const convCases: Array<{
  name: string;
  opts: ConstructorParameters<typeof Conv2d>[1];
  input: number[];
  plans: LayerPlan[];
}> = [
  {
    name: '3x3 stride 2 same, 6→8',
    opts: { inChannels: 6, outChannels: 8, kernelSize: 3, stride: 2, padding: 'same' },
    input: [9, 7, 6],
    plans: [
      { kind: 'dense' },
      { kind: 'tucker2', rankS: 3, rankT: 5 },
      { kind: 'tucker2', rankS: null, rankT: 2 },
      { kind: 'tucker2', rankS: 6, rankT: null },
      { kind: 'tucker', ranks: [3, 3, 2, 4] },
      { kind: 'cp', rank: 4 },
      { kind: 'tt', rowDims: [4, 2], colDims: [3, 2], ranks: [2, 4, 3, 2] },
      { kind: 'tt', rowDims: [8], colDims: [6], ranks: [5, 7] },
      { kind: 'ada-tucker', dims: [6, 6, 12], ranks: [3, 4, 5] },
      { kind: 'ada-tucker', dims: [7, 7, 9], ranks: [2, 2, 2] },
    ],
  },
  {
    name: '5x3 valid dilation 2, bias-free 4→10',
    opts: { inChannels: 4, outChannels: 10, kernelSize: [5, 3], dilation: [1, 2], bias: false },
    input: [11, 12, 4],
    plans: [
      { kind: 'tucker2', rankS: 4, rankT: 10 },
      { kind: 'tucker2', rankS: 1, rankT: 1 },
      { kind: 'cp', rank: 7 },
      { kind: 'tt', rowDims: [5, 2], colDims: [2, 2], ranks: [2, 4, 6, 2] },
    ],
  },
  {
    name: '1x1 explicit padding 5→6',
    opts: {
      inChannels: 5,
      outChannels: 6,
      kernelSize: 1,
      padding: [
        [1, 0],
        [0, 2],
      ],
    },
    input: [4, 4, 5],
    plans: [
      { kind: 'tucker2', rankS: 2, rankT: 3 },
      { kind: 'tt', rowDims: [3, 2], colDims: [5], ranks: [3, 3, 2] },
    ],
  },
];

const linearCases: Array<{ name: string; opts: ConstructorParameters<typeof Linear>[1]; plans: LayerPlan[] }> = [
  {
    name: '12→6',
    opts: { inFeatures: 12, outFeatures: 6 },
    plans: [
      { kind: 'dense' },
      { kind: 'tt', rowDims: [2, 3], colDims: [4, 3], ranks: [3] },
      { kind: 'tt', rowDims: [1, 6], colDims: [12, 1], ranks: [4] },
      { kind: 'tt', rowDims: [3, 2, 1], colDims: [2, 3, 2], ranks: [5, 2] },
      { kind: 'ada-tucker', dims: [8, 9], ranks: [3, 4] },
    ],
  },
  {
    name: '20→15 without bias',
    opts: { inFeatures: 20, outFeatures: 15, bias: false },
    plans: [
      { kind: 'tt', rowDims: [5, 3], colDims: [4, 5], ranks: [6] },
      { kind: 'ada-tucker', dims: [4, 5, 15], ranks: [2, 5, 3] },
    ],
  },
];

const modes: ExecutionMode[] = ['factorized', 'reconstructed', 'auto'];

describeBackends('planCost', () => {
  describe('equals the cost() of the layer factorizeLayer builds', () => {
    for (const c of convCases) {
      it(`Conv2d ${c.name}`, () => {
        const layer = new Conv2d('conv', { ...c.opts, seed: 3 });
        for (const plan of c.plans) {
          for (const mode of modes) {
            const built = factorizeLayer(layer, plan, { mode });
            expect(planCost(layer, plan, c.input, { mode }), `${JSON.stringify(plan)} ${mode}`).toEqual(
              built.cost(c.input),
            );
            if (built !== layer) built.dispose();
          }
        }
        layer.dispose();
      });
    }
    for (const c of linearCases) {
      it(`Linear ${c.name}`, () => {
        const layer = new Linear('fc', { ...c.opts, seed: 4 });
        for (const plan of c.plans) {
          for (const mode of modes) {
            const built = factorizeLayer(layer, plan, { mode });
            expect(planCost(layer, plan, [c.opts.inFeatures], { mode }), `${JSON.stringify(plan)} ${mode}`).toEqual(
              built.cost([c.opts.inFeatures]),
            );
            if (built !== layer) built.dispose();
          }
        }
        layer.dispose();
      });
    }
    it('SCADA: the owner counts the shared core, a follower does not', () => {
      const model = new Sequential('m', [
        new Linear('a', { inFeatures: 12, outFeatures: 6, seed: 1 }),
        new Linear('b', { inFeatures: 6, outFeatures: 12, seed: 2 }),
      ]);
      const pa: LayerPlan = { kind: 'scada-tucker', dims: [8, 9], ranks: [3, 3], group: 'g' };
      const pb: LayerPlan = { kind: 'scada-tucker', dims: [9, 8], ranks: [3, 3], group: 'g' };
      const [a, b] = model.children() as [Linear, Linear];
      const ownerCost = planCost(a, pa, [12]);
      const followerCost = planCost(b, pb, [6], { ownsSharedCore: false });
      factorize(model, { a: pa, b: pb });
      const [fa, fb] = model.children();
      expect(ownerCost).toEqual(fa?.cost([12]));
      expect(followerCost).toEqual(fb?.cost([6]));
      model.dispose();
    });
  });

  it('matches the hand count of papers.md §5 for Tucker-2', () => {
    const layer = new Conv2d('c', { inChannels: 16, outChannels: 32, kernelSize: 3, stride: 2, padding: 'same' });
    // 8x8 → 4x4: 16·4 + 4·8·9 + 8·32 + 32 params; 64·16·4 + 16·4·8·9 + 16·8·32 MACs
    expect(planCost(layer, { kind: 'tucker2', rankS: 4, rankT: 8 }, [8, 8, 16])).toEqual({
      params: 640,
      macs: 4096 + 4608 + 4096,
      outputShape: [4, 4, 32],
    });
    layer.dispose();
  });

  it('rejects invalid plans with TnzipError and a stable code', () => {
    const conv = new Conv2d('c', { inChannels: 6, outChannels: 8, kernelSize: 3 });
    const lin = new Linear('l', { inFeatures: 12, outFeatures: 6 });
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TnzipError);
        return (e as TnzipError).code;
      }
      return 'no error';
    };
    const img = [5, 5, 6];
    expect(code(() => planCost(conv, { kind: 'tucker2', rankS: 7, rankT: 2 }, img))).toBe('INVALID_RANK');
    expect(code(() => planCost(conv, { kind: 'tucker2', rankS: 0, rankT: 2 }, img))).toBe('INVALID_RANK');
    expect(code(() => planCost(conv, { kind: 'tucker2', rankS: 2.5, rankT: 2 }, img))).toBe('INVALID_RANK');
    expect(code(() => planCost(conv, { kind: 'tucker2', rankS: null, rankT: null }, img))).toBe('INVALID_RANK');
    expect(code(() => planCost(conv, { kind: 'tucker', ranks: [2, 3, 2, 2] }, img))).toBe('INVALID_ARGUMENT');
    expect(code(() => planCost(conv, { kind: 'cp', rank: 0 }, img))).toBe('INVALID_RANK');
    expect(code(() => planCost(conv, { kind: 'tt', rowDims: [4, 2], colDims: [3, 2], ranks: [2, 2] }, img))).toBe(
      'INVALID_RANK',
    );
    expect(code(() => planCost(conv, { kind: 'tt', rowDims: [4, 3], colDims: [3, 2], ranks: [2, 2, 2, 2] }, img))).toBe(
      'SHAPE_MISMATCH',
    );
    expect(code(() => planCost(conv, { kind: 'ada-tucker', dims: [6, 6, 6], ranks: [2, 2, 2] }, img))).toBe(
      'SHAPE_MISMATCH',
    );
    expect(code(() => planCost(conv, { kind: 'ada-tucker', dims: [6, 6, 12], ranks: [2, 7, 2] }, img))).toBe(
      'INVALID_RANK',
    );
    expect(
      code(() => planCost(conv, { kind: 'scada-tucker', dims: [6, 6, 12], ranks: [2, 2, 2], group: '' }, img)),
    ).toBe('INVALID_ARGUMENT');
    expect(code(() => planCost(conv, { kind: 'bogus' } as unknown as LayerPlan, img))).toBe('INVALID_ARGUMENT');
    expect(code(() => planCost(conv, null as unknown as LayerPlan, img))).toBe('INVALID_ARGUMENT');
    expect(code(() => planCost(conv, { kind: 'tucker2', rankS: 2, rankT: 2 }, [5, 5, 7]))).toBe('SHAPE_MISMATCH');
    expect(
      code(() => planCost(conv, { kind: 'tucker2', rankS: 2, rankT: 2 }, img, { mode: 'fast' as ExecutionMode })),
    ).toBe('INVALID_ARGUMENT');
    expect(code(() => planCost(lin, { kind: 'tucker2', rankS: 2, rankT: 2 }, [12]))).toBe('INVALID_ARGUMENT');
    expect(code(() => planCost(lin, { kind: 'cp', rank: 2 }, [12]))).toBe('INVALID_ARGUMENT');
    expect(code(() => planCost(lin, { kind: 'tt', rowDims: [2, 3], colDims: [4, 3], ranks: [13] }, [12]))).toBe(
      'INVALID_RANK',
    );
    expect(code(() => planCost(lin, { kind: 'tt', rowDims: [2, 3], colDims: [12], ranks: [] }, [12]))).toBe(
      'SHAPE_MISMATCH',
    );
    expect(code(() => planCost(lin, { kind: 'tt', rowDims: [2, 3], colDims: [4, 3], ranks: [3] }, [11]))).toBe(
      'SHAPE_MISMATCH',
    );
    conv.dispose();
    lin.dispose();
  });

  it('creates no tensors', () => {
    const conv = new Conv2d('c', { inChannels: 6, outChannels: 8, kernelSize: 3 });
    expectNoLeak(() =>
      planCost(conv, { kind: 'tt', rowDims: [4, 2], colDims: [3, 2], ranks: [2, 4, 3, 2] }, [5, 5, 6]),
    );
    conv.dispose();
  });
});
