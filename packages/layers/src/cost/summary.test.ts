import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { factorize } from '../factorized/factorize.js';
import { Conv2d } from '../layers/conv2d.js';
import type { FactorizationPlan } from '../plan.js';
import { cifarResNet, lenet5, lenet300100 } from '../testing-models.js';
import { countParams, formatSummary, summary } from './summary.js';

describe('cost model', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('dense LeNet-5 (Caffe 20-50-500-10): 431,080 params, 2,293,000 MACs, params = trainable scalars', () => {
    const m = lenet5();
    const c = m.cost([28, 28, 1]);
    expect(c).toEqual({ params: 431_080, macs: 2_293_000, outputShape: [10] });
    expect(countParams(m)).toBe(431_080);
    m.dispose();
  });

  it('LeNet-5 with conv2 as Tucker-2 (10/20): 412,280 params, 1,105,800 MACs', () => {
    const m = lenet5({ tucker2: true });
    expect(m.cost([28, 28, 1])).toEqual({ params: 412_280, macs: 1_105_800, outputShape: [10] });
    expect(countParams(m)).toBe(412_280);
    m.dispose();
  });

  it('LeNet-300-100: 266,610 params, 266,200 MACs', () => {
    const m = lenet300100();
    expect(m.cost([784])).toEqual({ params: 266_610, macs: 266_200, outputShape: [10] });
    expect(countParams(m)).toBe(266_610);
    m.dispose();
  });

  it('CIFAR ResNet-20 (option A): 269,722 params, 40,551,040 MACs; Tucker-2 half: 99,610 / 15,188,608 (2.67x)', () => {
    const m = cifarResNet(20);
    const c = m.cost([32, 32, 3]);
    expect(c).toEqual({ params: 269_722, macs: 40_551_040, outputShape: [10] });
    expect(countParams(m)).toBe(269_722);
    const t = cifarResNet(20, { tucker2Half: true });
    const ct = t.cost([32, 32, 3]);
    expect(ct.params).toBe(99_610);
    expect(ct.macs).toBe(15_188_608);
    expect(countParams(t)).toBe(99_610);
    expect(c.macs / ct.macs).toBeCloseTo(2.67, 2);
    m.dispose();
    t.dispose();
  });

  it('ResNet-20 factorized with Tucker2Conv2d at half ranks has the Tucker-2 half cost (2.67x fewer MACs)', () => {
    const dense = cifarResNet(20);
    const plan: Record<string, FactorizationPlan[string]> = {};
    for (const [path, m] of dense.namedModules()) {
      if (m instanceof Conv2d && path.startsWith('layer'))
        plan[path] = { kind: 'tucker2', rankS: Math.floor(m.inChannels / 2), rankT: Math.floor(m.outChannels / 2) };
    }
    expect(Object.keys(plan)).toHaveLength(18);
    const f = factorize(dense, plan);
    const c = f.cost([32, 32, 3]);
    expect(c.params).toBe(99_610);
    expect(c.macs).toBe(15_188_608);
    expect(countParams(f)).toBe(99_610);
    expect(40_551_040 / c.macs).toBeCloseTo(2.67, 2);
    f.dispose();
    if (f !== dense) dense.dispose();
  });

  it('CIFAR ResNet-56: 853,018 params, 125,485,696 MACs', () => {
    const m = cifarResNet(56);
    expect(m.cost([32, 32, 3])).toEqual({ params: 853_018, macs: 125_485_696, outputShape: [10] });
    m.dispose();
  });

  it('summary: one row per layer with paths and shapes; rows sum to the totals', () => {
    const m = cifarResNet(20);
    const s = summary(m, [32, 32, 3]);
    const byName = new Map(s.rows.map((r) => [r.name, r]));
    expect(byName.get('layer2.0.conv1')).toMatchObject({
      kind: 'conv2d',
      inputShape: [32, 32, 16],
      outputShape: [16, 16, 32],
      params: 4608,
      macs: 16 * 16 * 32 * 16 * 9,
    });
    expect(byName.get('layer2.0.shortcut')).toMatchObject({
      kind: 'channel-pad-shortcut',
      outputShape: [16, 16, 32],
      params: 0,
      macs: 0,
    });
    expect(byName.get('fc')).toMatchObject({ kind: 'linear', outputShape: [10], params: 650, macs: 640 });
    expect(s.rows.reduce((a, r) => a + r.params, 0)).toBe(s.total.params);
    expect(s.rows.reduce((a, r) => a + r.macs, 0)).toBe(s.total.macs);
    expect(formatSummary(s)).toMatch(/total\s.*269,722\s+40,551,040/);
    // The trace must not leave its instrumentation behind.
    expect(Object.hasOwn(m.children()[0] as object, 'cost')).toBe(false);
    m.dispose();
  });

  it('conv cost follows stride, padding and dilation', () => {
    const c = new Conv2d('c', {
      inChannels: 3,
      outChannels: 8,
      kernelSize: [3, 5],
      stride: 2,
      padding: 'same',
      dilation: 1,
    });
    expect(c.cost([15, 16, 3])).toEqual({ params: 3 * 8 * 15 + 8, macs: 8 * 8 * 8 * 3 * 15, outputShape: [8, 8, 8] });
    const d = new Conv2d('d', {
      inChannels: 2,
      outChannels: 4,
      kernelSize: 3,
      dilation: 2,
      padding: [
        [1, 0],
        [0, 2],
      ],
      bias: false,
    });
    // effective kernel 5: H' = 10 + 1 − 5 + 1 = 7, W' = 9 + 2 − 5 + 1 = 7
    expect(d.cost([10, 9, 2])).toEqual({ params: 72, macs: 7 * 7 * 72, outputShape: [7, 7, 4] });
    expect(() => d.cost([10, 9, 3])).toThrow(/layer 'd' expects input of shape \[\?, \?, 2\]/);
    c.dispose();
    d.dispose();
  });
});
