import * as tf from '@tensorflow/tfjs-core';
import { batches, mnist, type Split, selectExamples } from '@tnzip/data';
import { cacheOnCpu, Flatten, Linear, type Module, ReLU, Sequential } from '@tnzip/layers';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { train } from '@tnzip/train';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BATUDE_LAMBDAS, batudeSelector } from './batude.js';
import { batudeHook } from './batude-hook.js';
import { errorCode } from './budget-check.test-util.js';
import { lenetSmall } from './models.test-util.js';
import type { Calibration, SelectionContext } from './selector.js';

const inputShape = [28, 28, 1];
let data: { train: Split };
let cal: Calibration;

function lenet300(): Sequential {
  return new Sequential('lenet300', [
    new Flatten('flatten'),
    new Linear('fc1', { inFeatures: 784, outFeatures: 300, seed: 1 }),
    new ReLU('relu1'),
    new Linear('fc2', { inFeatures: 300, outFeatures: 100, seed: 2 }),
    new ReLU('relu2'),
    new Linear('fc3', { inFeatures: 100, outFeatures: 10, seed: 3 }),
  ]);
}

beforeAll(() => {
  data = {
    train: selectExamples(
      mnist().train,
      Array.from({ length: 96 }, (_, i) => i),
    ),
  };
});

const phase =
  (model: Module, seen: number[] = []): NonNullable<SelectionContext['train']> =>
  ({ epochs, hooks }) => {
    seen.push(epochs);
    return train(model, data, { epochs, batchSize: 32, lr: 0.02, logEvery: 0, seed: 1, hooks });
  };

describeBackends('BATUDE greedy, λ and residuals', () => {
  beforeAll(() => {
    const b = batches(data.train, { batchSize: 96, shuffle: false, normalize: { mean: [0], std: [1] } }).next();
    if (b.done === true) throw new Error('empty split');
    cal = { x: b.value.x, y: b.value.y, numClasses: 10 };
  });
  afterAll(() => {
    tf.dispose([cal.x, cal.y]);
  });

  it('LeNet-300-100 at 10x params: no layer is starved to rank 1 (log-energy weighting); the old rule starves fc1', async () => {
    const model = lenet300();
    const more = selectExamples(
      mnist().train,
      Array.from({ length: 500 }, (_, i) => i),
    );
    await train(model, { train: more }, { epochs: 2, batchSize: 50, lr: 0.05, logEvery: 0, seed: 1 });
    await cacheOnCpu(model); // update() reads the weights synchronously (webgpu in Node cannot read the GPU's copy)
    const ranksOf = (weighting: 'log-energy' | 'none'): Record<string, number[]> => {
      // minRank 1: the weighting alone must keep every layer above rank 1.
      const hook = batudeHook(model, { metric: 'params', target: 0.1 }, { inputShape }, { weighting, minRank: 1 });
      hook.update();
      return hook.finalize(model, { factorize: false }).report.details?.ranks as Record<string, number[]>;
    };
    const balanced = ranksOf('log-energy');
    for (const [path, r] of Object.entries(balanced)) expect(r[0], path).toBeGreaterThan(1);
    expect((balanced.fc1 as number[])[0]).toBeGreaterThanOrEqual(5);
    // The historical rule (σ/‖A‖ per absolute cost) starves fc1, as in the 10x runs (29 % accuracy).
    expect((ranksOf('none').fc1 as number[])[0]).toBe(1);
    console.info(`LeNet-300-100 at 10x params, ranks: log-energy ${JSON.stringify(balanced)}`);
    model.dispose();
  });

  it("'auto' runs phase 1 once per λ candidate from the same start, keeps the best truncated accuracy, reports residuals; no leak", async () => {
    await expectNoLeakAsync(async () => {
      const model = lenetSmall();
      const seen: number[] = [];
      const first = (): Float32Array => {
        const v = model.namedParameters()[0];
        if (v === undefined) throw new Error('no parameter');
        return v[1].dataSync() as Float32Array;
      };
      const start = first().slice();
      const { report } = await batudeSelector({ epochs: 1, hook: { rho: 0.05, updateEvery: 1 } }).select(
        model,
        { metric: 'macs', target: 0.3 },
        { inputShape, layers: ['conv2', 'fc1', 'fc2'], calibration: cal, train: phase(model, seen) },
      );
      expect(seen).toEqual([1, 1, 1]);
      const d = report.details as Record<string, unknown>;
      const trials = d.lambdaTrials as Array<{ lambda: number; accuracy: number }>;
      expect(trials.map((t) => t.lambda)).toEqual([...BATUDE_LAMBDAS]);
      const best = Math.max(...trials.map((t) => t.accuracy));
      expect(trials.find((t) => t.lambda === d.lambda)?.accuracy).toBe(best);
      expect(d.lambdaChosenBy).toBe('calibration');
      const residuals = d.residuals as Record<string, number>;
      expect(Object.keys(residuals)).toEqual(['conv2', 'fc1', 'fc2']);
      for (const v of Object.values(residuals)) expect(v).toBeGreaterThanOrEqual(0);
      // The model was trained (kept weights differ from the start).
      expect(first().some((v, i) => v !== start[i])).toBe(true);
      model.dispose();
    });
  });

  it('a longer phase brings W closer to Z (smaller residual ‖W − Z‖/‖W‖); λ = 0 runs once', async () => {
    const residualAfter = async (epochs: number): Promise<number> => {
      const model = lenetSmall();
      const seen: number[] = [];
      const hook = { rho: 1, rhoGrowth: 1.5, rhoMax: 20, updateEvery: 1 };
      const { report } = await batudeSelector({ epochs, lambda: 0, hook }).select(
        model,
        { metric: 'macs', target: 0.3 },
        { inputShape, layers: ['conv2', 'fc1', 'fc2'], calibration: cal, train: phase(model, seen) },
      );
      expect(seen).toEqual([epochs]);
      expect(report.details?.lambda).toBe(0);
      expect(report.details?.lambdaChosenBy).toBe('fixed');
      model.dispose();
      const r = Object.values(report.details?.residuals as Record<string, number>);
      return Math.max(...r);
    };
    const short = await residualAfter(1);
    const long = await residualAfter(4);
    expect(long).toBeLessThan(short);
  });

  it('rejects a λ outside [0, 1] and an empty candidate list', async () => {
    expect(await errorCode(() => batudeSelector({ lambda: -1 }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => batudeSelector({ lambdas: [] }))).toBe('INVALID_ARGUMENT');
  });
});
