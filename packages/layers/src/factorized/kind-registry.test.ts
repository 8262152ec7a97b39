import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { describeBackends } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { planCost } from '../cost/plan-cost.js';
import { Conv2d } from '../layers/conv2d.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { Sequential } from '../layers/sequential.js';
import type { LayerPlan } from '../plan.js';
import { registeredKinds } from '../registry.js';
import { factorize } from './factorize.js';
import { factorizedKindFor, registeredPlanKinds, registerFactorizedKind } from './kind-registry.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof TnzipError ? e.code : String(e);
  }
  return undefined;
}

describeBackends('factorized kind registry', () => {
  it('holds every built-in plan kind, each building registered module kinds', () => {
    expect(registeredPlanKinds()).toEqual(
      expect.arrayContaining(['ada-tucker', 'cp', 'dense', 'scada-tucker', 'tt', 'tucker', 'tucker2']),
    );
    const conv = new Conv2d('c', { inChannels: 4, outChannels: 6, kernelSize: 3 });
    const lin = new Linear('l', { inFeatures: 6, outFeatures: 4 });
    for (const planKind of registeredPlanKinds()) {
      for (const layer of [conv, lin]) {
        let kind: ReturnType<typeof factorizedKindFor>;
        try {
          kind = factorizedKindFor(layer, { kind: planKind }, 'test');
        } catch {
          continue; // a kind that does not apply to this layer type
        }
        for (const m of kind.moduleKinds) expect(registeredKinds()).toContain(m);
      }
    }
    // 'tt' resolves to a different descriptor per layer type.
    expect(factorizedKindFor(conv, { kind: 'tt' }, 'test').moduleKinds).toEqual(['tt-conv2d']);
    expect(factorizedKindFor(lin, { kind: 'tt' }, 'test').moduleKinds).toEqual(['tt-linear']);
    conv.dispose();
    lin.dispose();
  });

  it('rejects an unknown kind naming the registered ones, a kind that does not apply, a bad descriptor', () => {
    const lin = new Linear('l', { inFeatures: 6, outFeatures: 4 });
    expect(() => planCost(lin, { kind: 'nope' } as unknown as LayerPlan, [6])).toThrow(
      /unknown plan kind 'nope' \(registered: .*tucker2/,
    );
    expect(code(() => planCost(lin, { kind: 'cp', rank: 2 }, [6]))).toBe('INVALID_ARGUMENT');
    expect(() => planCost(lin, { kind: 'cp', rank: 2 }, [6])).toThrow(/does not apply to a linear layer/);
    expect(code(() => registerFactorizedKind({ planKind: '' } as never))).toBe('INVALID_ARGUMENT');
    lin.dispose();
  });

  it('rejects an invalid plan entry without replacing any layer or leaking', () => {
    const model = new Sequential('m', [
      new Conv2d('c1', { inChannels: 3, outChannels: 4, kernelSize: 3, padding: 'same', seed: 1 }),
      new Conv2d('c2', { inChannels: 4, outChannels: 4, kernelSize: 3, padding: 'same', seed: 2 }),
      new Flatten('f'),
      new Linear('fc', { inFeatures: 64, outFeatures: 5, seed: 3 }),
    ]);
    const before = tf.memory().numTensors;
    // The last entry is invalid (TT rank 6 above its bound min(64, 5) = 5): nothing is replaced or leaked.
    const plan = {
      c1: { kind: 'tucker2', rankS: 2, rankT: 2 },
      c2: { kind: 'cp', rank: 3 },
      fc: { kind: 'tt', rowDims: [1, 5], colDims: [64, 1], ranks: [6] },
    } as const;
    expect(code(() => factorize(model, plan))).toBe('INVALID_RANK');
    expect(tf.memory().numTensors).toBe(before);
    expect(model.children().map((c) => c.kind)).toEqual(['conv2d', 'conv2d', 'flatten', 'linear']);
    factorize(model, { ...plan, fc: { kind: 'tt', rowDims: [1, 5], colDims: [64, 1], ranks: [5] } });
    expect(model.children().map((c) => c.kind)).toEqual(['tucker2-conv2d', 'cp-conv2d', 'flatten', 'tt-linear']);
    model.dispose();
  });
});
