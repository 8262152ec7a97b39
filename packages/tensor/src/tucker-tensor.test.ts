import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import type { Matrix64 } from './float64.js';
import { multiModeProduct64 } from './mode-product.js';
import { Rng } from './random.js';
import { tuckerParams, tuckerToTensor, tuckerToTensor64 } from './tucker-tensor.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const rng = new Rng(41);
const core = { shape: [2, 5, 3], data: rng.normals(30) };
const factors: Matrix64[] = [
  { rows: 4, cols: 2, data: rng.normals(8) },
  { rows: 6, cols: 3, data: rng.normals(18) },
];
const modes = [0, 2];

describe('tuckerToTensor64 / tuckerParams', () => {
  it('is core ×_{modes[i]} factors[i]', () => {
    const x = tuckerToTensor64({ core, factors, modes });
    expect(x.shape).toEqual([4, 5, 6]);
    const ref = multiModeProduct64(core, factors, modes);
    expect(maxAbsDiff(x.data, ref.data)).toBeLessThan(1e-12);
  });

  it('counts core and factor entries', () => {
    expect(tuckerParams([4, 5, 6], [2, 3], [0, 2])).toBe(2 * 5 * 3 + 4 * 2 + 6 * 3);
    expect(tuckerParams([64, 32, 3, 3], [16, 8, 3, 3])).toBe(16 * 8 * 9 + 64 * 16 + 32 * 8 + 9 + 9);
  });

  it('rejects bad ranks, modes and mismatched factors', () => {
    expect(() => tuckerParams([4, 5], [5, 1])).toThrow(
      expect.objectContaining({ code: 'INVALID_RANK', message: expect.stringContaining('ranks[0]') }),
    );
    expect(() => tuckerParams([4, 5], [0, 1])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => tuckerParams([4, 5], [1.5, 1])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => tuckerParams([4, 5], [1], [2])).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
    expect(() => tuckerParams([4, 5], [1, 1], [0])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => tuckerToTensor64({ core, factors, modes: [0, 1] })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    expect(() => tuckerToTensor64({ core, factors, modes: [0, 0] })).toThrow(
      expect.objectContaining({ code: 'INVALID_MODE' }),
    );
    expect(() => tuckerToTensor64({ core, factors, modes: [0] })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
  });
});

describeBackends('tuckerToTensor', () => {
  it('matches the float64 reconstruction', async () => {
    const ref = tuckerToTensor64({ core, factors, modes });
    await expectNoLeakAsync(async () => {
      const c = tf.tensor(Float32Array.from(core.data), core.shape);
      const fs = factors.map((f) => tf.tensor2d(Float32Array.from(f.data), [f.rows, f.cols]));
      const x = tuckerToTensor({ core: c, factors: fs, modes });
      expect(x.shape).toEqual(ref.shape);
      expect(maxAbsDiff(await x.data(), ref.data)).toBeLessThan(1e-4);
      const same = tuckerToTensor({ core: c, factors: [], modes: [] });
      expect(same).not.toBe(c);
      return [c, fs, x, same];
    });
  });

  it('is differentiable: dL/dcore = W ×_n factorsᵀ for L = Σ W ∘ tuckerToTensor', async () => {
    const w = { shape: [4, 5, 6], data: new Rng(42).normals(120) };
    const ref = multiModeProduct64(w, factors, modes, { transpose: true });
    await expectNoLeakAsync(async () => {
      const c = tf.tensor(Float32Array.from(core.data), core.shape);
      const fs = factors.map((f) => tf.tensor2d(Float32Array.from(f.data), [f.rows, f.cols]));
      const wt = tf.tensor(Float32Array.from(w.data), w.shape);
      const g = tf.grads((cc: tf.Tensor, f0: tf.Tensor, f1: tf.Tensor) =>
        tf.sum(tf.mul(wt, tuckerToTensor({ core: cc, factors: [f0 as tf.Tensor2D, f1 as tf.Tensor2D], modes }))),
      )([c, fs[0] as tf.Tensor2D, fs[1] as tf.Tensor2D]);
      expect(maxAbsDiff(await (g[0] as tf.Tensor).data(), ref.data)).toBeLessThan(1e-3);
      expect((g[1] as tf.Tensor).shape).toEqual([4, 2]);
      expect((g[2] as tf.Tensor).shape).toEqual([6, 3]);
      return [c, fs, wt, g];
    });
  });

  it('rejects mismatched factors and bad modes', () => {
    expectNoLeak(() => {
      const c = tf.zeros([2, 3]);
      const f = tf.zeros([4, 3]) as tf.Tensor2D;
      expect(() => tuckerToTensor({ core: c, factors: [f], modes: [0] })).toThrow(
        expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
      );
      expect(() => tuckerToTensor({ core: c, factors: [f], modes: [2] })).toThrow(
        expect.objectContaining({ code: 'INVALID_MODE' }),
      );
      expect(() => tuckerToTensor({ core: c, factors: [f], modes: [] })).toThrow(
        expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
      );
      return [c, f];
    });
  });
});
