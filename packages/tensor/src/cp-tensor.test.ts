import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { type CP64, cpParams, cpToTensor, cpToTensor64 } from './cp-tensor.js';
import { Rng } from './random.js';

/** x[i_0, …] = Σ_r w_r Π_n A_n[i_n, r], element by element. */
function naiveCp(cp: CP64): Float64Array {
  const shape = cp.factors.map((f) => f.rows);
  const size = shape.reduce((a, b) => a * b, 1);
  const R = cp.weights.length;
  const out = new Float64Array(size);
  for (let flat = 0; flat < size; flat++) {
    let rem = flat;
    const idx = new Array<number>(shape.length);
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k] = rem % (shape[k] as number);
      rem = Math.floor(rem / (shape[k] as number));
    }
    let acc = 0;
    for (let r = 0; r < R; r++) {
      let p = cp.weights[r] as number;
      cp.factors.forEach((f, n) => {
        p *= f.data[(idx[n] as number) * R + r] as number;
      });
      acc += p;
    }
    out[flat] = acc;
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

function randomCp(shape: number[], R: number, seed: number): CP64 {
  const rng = new Rng(seed);
  const f32 = (n: number) => Float64Array.from(Float32Array.from(rng.normals(n)));
  return { weights: f32(R), factors: shape.map((d) => ({ rows: d, cols: R, data: f32(d * R) })) };
}

const cases: [number[], number][] = [
  [[4], 2],
  [[3, 5], 2],
  [[2, 3, 4], 3],
  [[2, 2, 3, 2, 2], 1],
];

describe('cpToTensor64 / cpParams', () => {
  it('matches the definition', () => {
    cases.forEach(([shape, R], i) => {
      const cp = randomCp(shape, R, i);
      const x = cpToTensor64(cp);
      expect(x.shape).toEqual(shape);
      expect(maxAbsDiff(x.data, naiveCp(cp))).toBeLessThan(1e-12);
    });
  });

  it('counts R·Σ I_n parameters', () => {
    expect(cpParams([64, 32, 3, 3], 10)).toBe(10 * (64 + 32 + 3 + 3));
    expect(() => cpParams([4, 5], 0)).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => cpParams([4, 5], 1.5)).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => cpParams([4, 0], 1)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });

  it('rejects factors whose column count differs from the weights', () => {
    const cp = randomCp([2, 3], 2, 1);
    expect(() => cpToTensor64({ weights: new Float64Array(3), factors: cp.factors })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    expect(() => cpToTensor64({ weights: new Float64Array(2), factors: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describeBackends('cpToTensor', () => {
  it('matches the definition and is differentiable', async () => {
    for (const [i, [shape, R]] of cases.entries()) {
      const cp = randomCp(shape, R, i);
      const ref = naiveCp(cp);
      await expectNoLeakAsync(async () => {
        const w = tf.tensor1d(Float32Array.from(cp.weights));
        const fs = cp.factors.map((f) => tf.tensor2d(Float32Array.from(f.data), [f.rows, f.cols]));
        const x = cpToTensor({ weights: w, factors: fs });
        expect(x.shape).toEqual(shape);
        expect(maxAbsDiff(await x.data(), ref)).toBeLessThan(1e-4);
        // dΣx/dw_r = Π_n Σ_i A_n[i, r]
        const g = tf.grad((ww: tf.Tensor) => tf.sum(cpToTensor({ weights: ww as tf.Tensor1D, factors: fs })))(w);
        const gRef = Array.from({ length: R }, (_, r) =>
          cp.factors.reduce(
            (p, f) =>
              p * Array.from({ length: f.rows }, (_, k) => f.data[k * R + r] as number).reduce((a, b) => a + b, 0),
            1,
          ),
        );
        expect(maxAbsDiff(await g.data(), gRef)).toBeLessThan(1e-4);
        return [w, fs, x, g];
      });
    }
  });

  it('rejects mismatched weights and factors', () => {
    expectNoLeak(() => {
      const w = tf.ones([3]) as tf.Tensor1D;
      const f = tf.ones([4, 2]) as tf.Tensor2D;
      const w2 = tf.ones([2, 1]) as unknown as tf.Tensor1D;
      expect(() => cpToTensor({ weights: w, factors: [f, f] })).toThrow(
        expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
      );
      expect(() => cpToTensor({ weights: w2, factors: [f] })).toThrow(
        expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
      );
      expect(() => cpToTensor({ weights: w, factors: [] })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
      return [w, f, w2];
    });
  });
});
