import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
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

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
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

  it('ttMatrixFull equals ttMatrixToMatrix and ttContract equals the dense product', () => {
    expectNoLeak(() =>
      tf.tidy(() => {
        const cores = shapes.map((s, k) => normal(s, 10 + k)) as tf.Tensor4D[];
        const full = ttMatrixFull(cores);
        const ref = ttMatrixToMatrix({ cores, rowDims: [2, 3, 2], colDims: [3, 2, 2] });
        expect(full.shape).toEqual([12, 12]);
        expect(maxRelDiff(full, ref)).toBeLessThan(1e-5);
        // ttContract(z) = z · Mᵀ for boundary ranks 1 (rows of M are the output multi-index).
        const z = normal([4, 12], 7);
        const y = ttContract(z, cores);
        expect(maxRelDiff(y, tf.matMul(z, full, false, true))).toBeLessThan(1e-5);
      }),
    );
  });

  it('ttContractMacs counts the sequential contraction (papers.md §5, TT-FC)', () => {
    // k=0: 1·2·2·3·(1)·(2·2) = 48; k=1: 2·3·3·2·(2)·(2) = 144; k=2: 3·1·2·2·(2·3)·1 = 72.
    expect(ttContractMacs(shapes)).toBe(48 + 144 + 72);
  });

  it('tuckerRebuild equals tuckerToTensor', () => {
    expectNoLeak(() =>
      tf.tidy(() => {
        const core = normal([2, 3, 2], 1);
        const factors = [normal([4, 2], 2), normal([5, 3], 3), normal([3, 2], 4)] as tf.Tensor2D[];
        const x = tuckerRebuild(core, factors);
        const ref = tuckerToTensor({ core, factors, modes: [0, 1, 2] });
        expect(x.shape).toEqual([4, 5, 3]);
        expect(maxRelDiff(x, ref)).toBeLessThan(1e-5);
        // The 'matrix' view: same entries, 2-D, from a core given as its mode-1 unfolding.
        const m = tuckerRebuild(tf.reshape(core, [2, 6]), factors, undefined, { shape: 'matrix' });
        expect(m.shape).toEqual([20, 3]);
        expect(maxRelDiff(tf.reshape(m, [4, 5, 3]), ref)).toBeLessThan(1e-5);
      }),
    );
  });
});
