import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeakAsync } from '@tnzip/testing';
import { expect, it } from 'vitest';
import {
  Rng,
  ttContract,
  ttContractMacs,
  ttMatrixFull,
  ttMatrixToMatrix,
  tuckerRebuild,
  tuckerToTensor,
} from './index.js';

function normal(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(Float32Array.from(new Rng(seed).normals(shape.reduce((a, d) => a * d, 1))), shape);
}

/** max |a − b| / max |b|, read with `await data()` (the only read on webgpu in Node); disposes both. */
async function maxRelDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  tf.dispose([a, b]);
  let e = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    e = Math.max(e, Math.abs((x[i] as number) - (y[i] as number)));
    s = Math.max(s, Math.abs(y[i] as number));
  }
  return e / s;
}

describeBackends('TT / Tucker contractions', () => {
  const shapes = [
    [1, 2, 3, 2],
    [2, 3, 2, 3],
    [3, 2, 2, 1],
  ];

  it('ttMatrixFull equals ttMatrixToMatrix and ttContract equals the dense product', async () => {
    await expectNoLeakAsync(async () => {
      const [full, ref, y, dense] = tf.tidy(() => {
        const cores = shapes.map((s, k) => normal(s, 10 + k)) as tf.Tensor4D[];
        const full = ttMatrixFull(cores);
        const ref = ttMatrixToMatrix({ cores, rowDims: [2, 3, 2], colDims: [3, 2, 2] });
        // ttContract(z) = z · Mᵀ for boundary ranks 1 (rows of M are the output multi-index).
        const z = normal([4, 12], 7);
        return [full, ref, ttContract(z, cores), tf.matMul(z, full, false, true)];
      });
      expect(full.shape).toEqual([12, 12]);
      expect(await maxRelDiff(full, ref)).toBeLessThan(1e-5);
      expect(await maxRelDiff(y, dense)).toBeLessThan(1e-5);
    });
  });

  it('ttContractMacs counts the sequential contraction (papers.md §5, TT-FC)', () => {
    // k=0: 1·2·2·3·(1)·(2·2) = 48; k=1: 2·3·3·2·(2)·(2) = 144; k=2: 3·1·2·2·(2·3)·1 = 72.
    expect(ttContractMacs(shapes)).toBe(48 + 144 + 72);
  });

  it('tuckerRebuild equals tuckerToTensor', async () => {
    await expectNoLeakAsync(async () => {
      const [x, ref, m, ref2] = tf.tidy(() => {
        const core = normal([2, 3, 2], 1);
        const factors = [normal([4, 2], 2), normal([5, 3], 3), normal([3, 2], 4)] as tf.Tensor2D[];
        const ref = tuckerToTensor({ core, factors, modes: [0, 1, 2] });
        // The 'matrix' view: same entries, 2-D, from a core given as its mode-1 unfolding.
        const m = tuckerRebuild(tf.reshape(core, [2, 6]), factors, undefined, { shape: 'matrix' });
        return [tuckerRebuild(core, factors), ref, m, tf.clone(ref)];
      });
      expect(x.shape).toEqual([4, 5, 3]);
      expect(m.shape).toEqual([20, 3]);
      expect(await maxRelDiff(x, ref)).toBeLessThan(1e-5);
      expect(await maxRelDiff(tf.reshape(m, [4, 5, 3]), ref2)).toBeLessThan(1e-5);
      m.dispose();
    });
  });
});
