import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { expect, it } from 'vitest';
import { fromTf, fromTfAsync } from './float64.js';
import { Rng } from './random.js';
import { svd } from './svd.js';

describeBackends('fromTfAsync', () => {
  // 40×40 = 1600 elements: above tfjs-webgpu's CPU hand-off threshold (1000), so on webgpu the
  // sum below really runs on the GPU and its values are not on the CPU until read.
  const a = Float32Array.from(new Rng(1).normals(1600));
  const b = Float32Array.from(new Rng(2).normals(1600));
  const sum = Float64Array.from(a.map((v, i) => v + (b[i] as number)));

  it('reads an op result exactly (shape, float32 values in float64) on every backend', async () => {
    await expectNoLeakAsync(async () => {
      const x = tf.tensor2d(a, [40, 40]);
      const y = tf.tensor2d(b, [40, 40]);
      const s = tf.add(x, y);
      const t = await fromTfAsync(s, 's');
      expect(t.shape).toEqual([40, 40]);
      expect(t.data).toBeInstanceOf(Float64Array);
      // float32 addition of float32 inputs: recompute the rounding, then compare exactly.
      expect(Array.from(t.data)).toEqual(Array.from(Float32Array.from(sum)));
      return [x, y, s];
    });
  });

  it('leaves the values cached, so the synchronous readers (fromTf, svd) work afterwards', async () => {
    await expectNoLeakAsync(async () => {
      const x = tf.tensor2d(a, [40, 40]);
      const y = tf.tensor2d(b, [40, 40]);
      const s = tf.add(x, y);
      const t = await fromTfAsync(s, 's');
      expect(Array.from(fromTf(s, 's').data)).toEqual(Array.from(t.data));
      const r = svd(s as tf.Tensor2D, { rank: 2 });
      expect(r.s.shape).toEqual([2]);
      return [x, y, s, r];
    });
  });

  it('rejects NaN, non-float32 and disposed tensors with the codes of fromTf', async () => {
    await expectNoLeakAsync(async () => {
      const nan = tf.tensor1d([1, Number.NaN]);
      const ints = tf.tensor1d([1, 2], 'int32');
      const gone = tf.zeros([2]);
      gone.dispose();
      await expect(fromTfAsync(nan, 'nan')).rejects.toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
      await expect(fromTfAsync(ints, 'ints')).rejects.toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      await expect(fromTfAsync(gone, 'gone')).rejects.toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      return [nan, ints];
    });
  });
});
