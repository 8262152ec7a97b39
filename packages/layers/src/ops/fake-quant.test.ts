import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { randomTensor } from '../factorized/helpers.test-util.js';
import { quantizeWeights } from '../keras/quantize.js';
import { fakeQuantize, quantizeDequantize } from './fake-quant.js';
import './register-gradients.js';

describeBackends('uint8 fake quantization', () => {
  it('gives the values uint8 model files store (quantizeWeights + tf.io.decodeWeights)', async () => {
    const x = randomTensor([3000], 5);
    const { data, specs } = await tf.io.encodeWeights([{ name: 'w', tensor: x }]);
    const q = quantizeWeights(specs, data, 'uint8');
    const stored = tf.io.decodeWeights(q.data, q.specs).w as tf.Tensor;
    const scale = q.specs[0]?.quantization?.scale as number;
    const a = await quantizeDequantize(x).data();
    const b = await stored.data();
    let offLevel = 0;
    a.forEach((v, i) => {
      const d = Math.abs(v - (b[i] as number));
      // float32 rounding of the affine map, or one level at an exact half (round-to-even vs up).
      if (d > 1e-3 * scale) offLevel++;
      expect(d).toBeLessThanOrEqual(scale * 1.001);
    });
    expect(offLevel).toBeLessThanOrEqual(3);
    // 256 levels at most, the extremes kept.
    expect(new Set(Array.from(a)).size).toBeLessThanOrEqual(256);
    const range = tf.tidy(() => tf.stack([tf.min(x), tf.max(x)]));
    const [lo, hi] = Array.from(await range.data()) as [number, number];
    range.dispose();
    expect(Math.min(...Array.from(a))).toBeCloseTo(lo, 6);
    expect(Math.max(...Array.from(a))).toBeCloseTo(hi, 5);
    tf.dispose([x, stored]);
  });

  it('keeps a constant tensor and an empty one as they are', async () => {
    await expectNoLeakAsync(async () => {
      const c = tf.fill([4], 0.3);
      const out = quantizeDequantize(c);
      expect(Array.from(await out.data())).toEqual(Array.from(await c.data()));
      const e = tf.zeros([0, 3]);
      const oe = quantizeDequantize(e);
      expect(oe.shape).toEqual([0, 3]);
      tf.dispose([c, out, e, oe]);
    });
  });

  it('passes the gradient straight through (STE) and leaks nothing', async () => {
    await expectNoLeakAsync(async () => {
      const x = randomTensor([5, 7], 2);
      const c = randomTensor([5, 7], 3);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fakeQuantize(t), c)))(x);
      expect(Array.from(await g.data())).toEqual(Array.from(await c.data()));
      const y = fakeQuantize(x);
      const want = quantizeDequantize(x);
      expect(Array.from(await y.data())).toEqual(Array.from(await want.data()));
      tf.dispose([x, c, g, y, want]);
    });
  });
});
