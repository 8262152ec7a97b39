import * as tf from '@tensorflow/tfjs-core';
import { batches, mnist, type Split, selectExamples } from '@tnzip/data';
import { factorize, type Module } from '@tnzip/layers';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { train } from '@tnzip/train';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Budget } from './budget.js';
import { errorCode, expectMaximalPlan } from './budget-check.test-util.js';
import { lwiqSelector } from './lwiq.js';
import { lenetSmall } from './models.test-util.js';
import { PROXY_SEARCH_CANDIDATES, proxySearchSelector } from './proxy-search.js';
import { batchAccuracy, truncatedAccuracy } from './proxy-search-accuracy.js';
import type { Calibration } from './selector.js';

const inputShape = [28, 28, 1];
const layers = ['conv2', 'fc1', 'fc2'];
let split: Split;
beforeAll(() => {
  split = selectExamples(
    mnist().train,
    Array.from({ length: 200 }, (_, i) => i),
  );
});

describeBackends('proxySearchSelector', (backend) => {
  let cal: Calibration;
  let model: Module;
  beforeAll(async () => {
    const b = batches(split, { batchSize: split.count, shuffle: false, normalize: { mean: [0], std: [1] } }).next();
    if (b.done === true) throw new Error('empty split');
    cal = { x: b.value.x, y: b.value.y, numClasses: 10 };
    // A briefly trained LeNet: truncation then visibly costs accuracy.
    model = lenetSmall();
    await train(model, { train: split }, { epochs: 2, batchSize: 25, lr: 0.05, logEvery: 0, seed: 1 });
  }, 240_000);
  afterAll(() => {
    tf.dispose([cal.x, cal.y]);
    model.dispose();
  });

  it('truncatedAccuracy is the accuracy of the factorized model, restores the weights and leaks nothing', async () => {
    const budget: Budget = { metric: 'params', target: 0.2 };
    const { plan } = await proxySearchSelector({ candidates: 2 }).select(model, budget, {
      inputShape,
      layers,
      calibration: cal,
    });
    const w = model.namedParameters().map(([, v]) => v.dataSync().slice());
    let truncated = 0;
    await expectNoLeakAsync(async () => {
      truncated = await truncatedAccuracy(model, plan, cal);
    });
    model.namedParameters().forEach(([, v], i) => {
      expect(v.dataSync()).toEqual(w[i]);
    });
    const copy = lenetSmall();
    copy.loadStateDict(new Map(model.namedParameters().map(([k, v]) => [k, v])));
    factorize(copy, plan, { mode: 'reconstructed' });
    expect(truncated).toBeCloseTo(await batchAccuracy(copy, cal), 2);
    expect(truncated).toBeLessThan(await batchAccuracy(model, cal));
    copy.dispose();
  });

  it('evaluates K seeded candidates (default 32) that each meet the budget, keeps the best; deterministic per seed', async () => {
    const budget: Budget = { metric: 'params', target: 0.25 };
    // 64 calibration examples keep the 32 forward passes short on the cpu backend.
    const small: Calibration = { x: tf.slice(cal.x, 0, 64), y: tf.slice(cal.y, 0, 64), numClasses: 10 };
    const context = { inputShape, layers, calibration: small, seed: 7 };
    // The default K everywhere but on webgpu over SwiftShader (a CPU emulation, ~2 s a candidate),
    // where 8 candidates exercise the same backend path (async reads) in a quarter of the CI time.
    const K = backend === 'webgpu' ? 8 : PROXY_SEARCH_CANDIDATES;
    const a = await proxySearchSelector(backend === 'webgpu' ? { candidates: K } : {}).select(model, budget, context);
    const d = a.report.details as Record<string, unknown>;
    expect(d.candidates).toBe(K);
    expect(PROXY_SEARCH_CANDIDATES).toBe(32);
    const accs = d.accuracies as number[];
    expect(accs).toHaveLength(K);
    expect(d.evaluated as number).toBeGreaterThan(1);
    expect(d.accuracy).toBe(Math.max(...accs));
    expect(accs[d.winner as number]).toBe(d.accuracy);
    expectMaximalPlan(model, a.plan, a.report, budget, context, { format: 'tt', minRank: 2 });
    // The same seed draws the same candidates: the first 4 of a second search are the first 4 here.
    const b = await proxySearchSelector({ candidates: 4 }).select(model, budget, context);
    expect((b.report.details as Record<string, unknown>).accuracies).toEqual(accs.slice(0, 4));
    // LWIQ's search (one scoring pass + its plan) against proxy-search's, same calibration data.
    const fresh = lenetSmall();
    const l = await lwiqSelector().select(fresh, budget, { inputShape, layers, calibration: small });
    fresh.dispose();
    tf.dispose([small.x, small.y]);
    const lwiqMs = (l.report.details?.scoreMs as number) + l.report.searchMs;
    expect(lwiqMs).toBeLessThan(a.report.searchMs);
    console.info(
      `proxy-search ${a.report.searchMs.toFixed(0)} ms (K=${K}, ${d.evaluated} distinct) vs LWIQ ${lwiqMs.toFixed(0)} ms: ` +
        `${(100 * (1 - lwiqMs / a.report.searchMs)).toFixed(1)} % faster (${tf.getBackend()})`,
    );
  }, 240_000); // 36 forward passes: ~50 s on webgpu over SwiftShader (a software GPU) on 2 loaded cores

  it('rejects missing calibration and bad options', async () => {
    const budget: Budget = { metric: 'params', target: 0.25 };
    expect(await errorCode(() => proxySearchSelector().select(model, budget, { inputShape }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => proxySearchSelector({ candidates: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => proxySearchSelector({ spread: -1 }))).toBe('INVALID_ARGUMENT');
  });
});
