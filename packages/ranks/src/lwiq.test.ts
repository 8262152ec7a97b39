import * as tf from '@tensorflow/tfjs-core';
import { batches, mnist, type Split, selectExamples } from '@tnzip/data';
import type { Module } from '@tnzip/layers';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Budget } from './budget.js';
import { errorCode, expectMaximalPlan } from './budget-check.test-util.js';
import { lwiqSelector } from './lwiq.js';
import { imprintAccuracy, lwiqScoreComputations, lwiqScores } from './lwiq-scores.js';
import { lenetSmall } from './models.test-util.js';
import type { Calibration, SelectionReport } from './selector.js';

const inputShape = [28, 28, 1];
let split: Split;
beforeAll(() => {
  split = selectExamples(
    mnist().train,
    Array.from({ length: 200 }, (_, i) => i),
  );
});

function calibrationOf(s: Split): Calibration {
  const b = batches(s, { batchSize: s.count, shuffle: false, normalize: { mean: [0], std: [1] } }).next();
  if (b.done === true) throw new Error('empty split');
  return { x: b.value.x, y: b.value.y, numClasses: 10 };
}

describe('imprintAccuracy', () => {
  it('is 1 on features that are their class directions and chance-level on features that ignore the class', () => {
    const n = 40;
    const c = 4;
    const labels = Array.from({ length: n }, (_, i) => i % c);
    const sep = new Float32Array(n * c);
    labels.forEach((k, i) => {
      sep[i * c + k] = 1;
    });
    const idx = Array.from({ length: n }, (_, i) => i);
    expect(imprintAccuracy(sep, c, labels, idx.slice(0, 20), idx.slice(20), c)).toBe(1);
    const same = new Float32Array(n * c).fill(0.5);
    // All classes score alike; ties go to class 0, right for a quarter of the examples.
    expect(imprintAccuracy(same, c, labels, idx.slice(0, 20), idx.slice(20), c)).toBe(0.25);
  });
});

describeBackends('lwiqSelector', () => {
  let model: Module;
  let cal: Calibration;
  beforeAll(() => {
    model = lenetSmall();
    cal = calibrationOf(split);
  });
  afterAll(() => {
    model.dispose();
    tf.dispose([cal.x, cal.y]);
  });

  it('scores every Conv2d/Linear layer with proxy accuracies in [0, 1] and positive significances', async () => {
    const s = await lwiqScores(model, cal, { seed: 1 });
    expect(s.layers.map((l) => l.path)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    expect(s.chance).toBe(0.1);
    expect(s.imprinted + s.heldOut).toBe(200);
    let prev = 0.1;
    for (const l of s.layers) {
      expect(l.accuracy).toBeGreaterThanOrEqual(0);
      expect(l.accuracy).toBeLessThanOrEqual(1);
      expect(l.gain).toBeCloseTo(l.accuracy - prev, 12);
      expect(l.significance).toBeCloseTo(Math.max(l.gain, 0) + 1e-3, 12);
      prev = l.accuracy;
    }
    // Even random conv features of MNIST separate digits above chance (0.1); measured 0.28.
    expect(s.layers[1]?.accuracy).toBeGreaterThan(0.2);
  });

  it('meets every budget within one rank step and respects the bounds (TT and Tucker-2)', async () => {
    const budgets: Budget[] = [
      { metric: 'params', target: 0.1 },
      { metric: 'macs', target: 0.3 },
      { metric: 'params', target: 0.5 },
    ];
    for (const format of ['tt', 'tucker2'] as const) {
      for (const budget of budgets) {
        const context = { inputShape, calibration: cal, layers: ['conv2', 'fc1', 'fc2'] };
        const { plan, report } = await lwiqSelector({ format }).select(model, budget, context);
        expect(report.method).toBe('lwiq');
        expectMaximalPlan(model, plan, report, budget, context, { format, minRank: 2 });
      }
    }
  });

  it('computes the scores once per model and calibration set and reuses them across budgets', async () => {
    const m = lenetSmall();
    const spy = vi.spyOn(m, 'apply');
    const before = lwiqScoreComputations();
    const sel = lwiqSelector({ batchSize: 100 });
    const reports: SelectionReport[] = [];
    for (const target of [0.5, 0.25, 0.1, 0.05]) {
      const r = await sel.select(m, { metric: 'params', target }, { inputShape, calibration: cal });
      reports.push(r.report);
    }
    expect(lwiqScoreComputations() - before).toBe(1);
    expect(spy).toHaveBeenCalledTimes(2); // 200 examples, batches of 100, for the first budget only
    expect(reports.map((r) => r.details?.scoresCached)).toEqual([false, true, true, true]);
    expect(reports[0]?.details?.scoreMs).toBeGreaterThan(0);
    expect(reports[1]?.details?.scoreMs).toBe(0);
    // A smaller budget never gets larger ranks from the same scores: β decreases.
    const betas = reports.map((r) => r.details?.beta as number);
    for (let i = 1; i < betas.length; i++) expect(betas[i]).toBeLessThanOrEqual(betas[i - 1] as number);
    // New weights are new scores.
    const w = m.namedParameters()[0]?.[1] as tf.Variable;
    tf.tidy(() => w.assign(tf.mul(w, 2)));
    await sel.select(m, { metric: 'params', target: 0.5 }, { inputShape, calibration: cal });
    expect(lwiqScoreComputations() - before).toBe(2);
    spy.mockRestore();
    m.dispose();
  });

  it('selects without leaking tensors', async () => {
    const m = lenetSmall();
    await expectNoLeakAsync(async () => {
      await lwiqSelector({ seed: 3 }).select(m, { metric: 'params', target: 0.2 }, { inputShape, calibration: cal });
    });
    m.dispose();
  });

  it('rejects missing calibration, invalid budgets and options with TnzipError', async () => {
    const ctx = { inputShape, calibration: cal };
    expect(await errorCode(() => lwiqSelector().select(model, { metric: 'params', target: 0.2 }, { inputShape }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await errorCode(() => lwiqSelector().select(model, { metric: 'params', target: 1.5 }, ctx))).toBe(
      'INVALID_BUDGET',
    );
    expect(await errorCode(() => lwiqSelector().select(model, { metric: 'params', target: 1e-5 }, ctx))).toBe(
      'INVALID_BUDGET',
    );
    expect(
      await errorCode(() => lwiqSelector({ holdout: 1 }).select(model, { metric: 'params', target: 0.2 }, ctx)),
    ).toBe('INVALID_ARGUMENT');
    expect(
      await errorCode(() =>
        lwiqSelector({ significance: 'other' as 'gain' }).select(model, { metric: 'params', target: 0.2 }, ctx),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      await errorCode(() =>
        lwiqSelector({ format: 'cp' as 'tt' }).select(model, { metric: 'params', target: 0.2 }, ctx),
      ),
    ).toBe('INVALID_ARGUMENT');
  });
});
