import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, TnzipError, ttParams, ttRankBounds, ttRanks, ttSvd64, ttToTensor, ttToTensor64 } from './index.js';

const SEED = 4242;

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TnzipError);
    return (e as TnzipError).code;
  }
  throw new Error('did not throw');
}

function randomCores(dims: number[], ranks: number[], seed: number) {
  const rng = new Rng(seed);
  const full = [1, ...ranks, 1];
  return dims.map((n, k) => {
    const shape = [full[k] as number, n, full[k + 1] as number];
    return { shape, data: rng.normals(shape[0]! * n * shape[2]!) };
  });
}

/** Direct evaluation of X[i] = G_1[i_1] ⋯ G_d[i_d] for one multi-index (the definition). */
function entry(cores: { shape: number[]; data: Float64Array }[], idx: number[]): number {
  let row = new Float64Array([1]);
  cores.forEach((c, k) => {
    const [r0, n, r1] = c.shape as [number, number, number];
    const next = new Float64Array(r1);
    for (let a = 0; a < r0; a++)
      for (let b = 0; b < r1; b++)
        next[b] = (next[b] as number) + (row[a] as number) * (c.data[(a * n + (idx[k] as number)) * r1 + b] as number);
    row = next;
  });
  return row[0] as number;
}

const dimsRanksArb = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 6 })
  .chain((dims) =>
    fc.tuple(fc.constant(dims), fc.tuple(...ttRankBounds(dims).map((b) => fc.integer({ min: 1, max: b })))),
  );

describe('TT format (float64)', () => {
  it('ttToTensor64 matches the definition X[i] = G_1[i_1]⋯G_d[i_d] entry by entry', () => {
    fc.assert(
      fc.property(dimsRanksArb, fc.nat(1000), ([dims, ranks], seed) => {
        const cores = randomCores(dims, ranks, seed);
        const x = ttToTensor64({ cores });
        expect(x.shape).toEqual(dims);
        const idx = dims.map(() => 0);
        for (let flat = 0; flat < x.data.length; flat++) {
          expect(x.data[flat]).toBeCloseTo(entry(cores, idx), 10);
          for (let a = dims.length - 1; a >= 0; a--) {
            idx[a] = (idx[a] as number) + 1;
            if ((idx[a] as number) < (dims[a] as number)) break;
            idx[a] = 0;
          }
        }
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('ttRanks reads the full rank list; ttParams equals the number of core entries', () => {
    fc.assert(
      fc.property(dimsRanksArb, ([dims, ranks]) => {
        const cores = randomCores(dims, ranks, 1);
        expect(ttRanks({ cores })).toEqual([1, ...ranks, 1]);
        expect(ttParams(dims, ranks)).toBe(cores.reduce((s, c) => s + c.data.length, 0));
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('ttParams counts the cores TT-SVD produces', () => {
    const dims = [3, 3, 64, 64];
    const ranks = [3, 9, 16];
    const rng = new Rng(1);
    const tt = ttSvd64({ shape: dims, data: rng.normals(3 * 3 * 64 * 64) }, { ranks });
    expect(ttParams(dims, ranks)).toBe(tt.cores.reduce((s, c) => s + c.data.length, 0));
    expect(ttParams(dims, ranks)).toBe(3 * 3 + 3 * 3 * 9 + 9 * 64 * 16 + 16 * 64);
  });

  it('ttRankBounds are min(prefix, suffix) products', () => {
    expect(ttRankBounds([3, 3, 64, 64])).toEqual([3, 9, 64]);
    expect(ttRankBounds([8, 8, 8, 16, 16, 18])).toEqual([8, 64, 512, 288, 18]);
    expect(ttRankBounds([5])).toEqual([]);
  });

  it('rejects bad input with TnzipError', () => {
    expect(code(() => ttRankBounds([2, 0, 3]))).toBe('SHAPE_MISMATCH');
    expect(code(() => ttRankBounds([2, 1.5]))).toBe('SHAPE_MISMATCH');
    expect(code(() => ttRankBounds([]))).toBe('SHAPE_MISMATCH');
    expect(code(() => ttParams([2, 3, 4], [3, 2]))).toBe('INVALID_RANK');
    expect(code(() => ttParams([2, 3, 4], [0, 2]))).toBe('INVALID_RANK');
    expect(code(() => ttParams([2, 3, 4], [1.5, 2]))).toBe('INVALID_RANK');
    expect(code(() => ttParams([2, 3, 4], [2]))).toBe('INVALID_RANK');
    const cores = randomCores([2, 3, 4], [2, 2], 3);
    const broken = [cores[0]!, { shape: [3, 3, 2], data: new Float64Array(18) }, cores[2]!];
    expect(code(() => ttToTensor64({ cores: broken }))).toBe('SHAPE_MISMATCH');
    expect(code(() => ttToTensor64({ cores: [{ shape: [2, 2, 1], data: new Float64Array(4) }] }))).toBe(
      'SHAPE_MISMATCH',
    );
    expect(code(() => ttToTensor64({ cores: [] }))).toBe('SHAPE_MISMATCH');
    const nan = cores.map((c) => ({ shape: c.shape, data: Float64Array.from(c.data) }));
    nan[1]!.data[0] = Number.NaN;
    expect(code(() => ttToTensor64({ cores: nan }))).toBe('NON_FINITE');
    expect(code(() => ttRanks({ cores: broken }))).toBe('SHAPE_MISMATCH');
  });
});

describeBackends('ttToTensor', () => {
  it('matches the float64 contraction to float32 accuracy and leaks nothing', async () => {
    await fc.assert(
      fc.asyncProperty(dimsRanksArb, fc.nat(1000), async ([dims, ranks], seed) => {
        const cores64 = randomCores(dims, ranks, seed);
        const ref = ttToTensor64({ cores: cores64 });
        await expectNoLeakAsync(async () => {
          const cores = cores64.map((c) => tf.tensor3d(Float32Array.from(c.data), c.shape as [number, number, number]));
          const x = ttToTensor({ cores });
          expect(x.shape).toEqual(dims);
          const got = await x.data();
          let err = 0;
          let nrm = 0;
          for (let i = 0; i < got.length; i++) {
            err += ((got[i] as number) - (ref.data[i] as number)) ** 2;
            nrm += (ref.data[i] as number) ** 2;
          }
          // float32 products of ≤ 6 cores with ≤ 16-term sums: relative error ~1e-6.
          expect(Math.sqrt(err / nrm)).toBeLessThan(1e-5);
          return [cores, x];
        });
      }),
      { seed: SEED, numRuns: 15 },
    );
  });

  it('is differentiable: tf.grad through ttToTensor equals the analytic gradient', async () => {
    await expectNoLeakAsync(async () => {
      // d = 2: X = G1·G2 (as [n1, r]·[r, n2]); L = Σ C⊙X ⇒ ∂L/∂G1 = C·G2ᵀ, ∂L/∂G2 = G1ᵀ·C.
      const g1 = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 3, 2]);
      const g2 = tf.tensor3d([0.5, -1, 2, 0, 1, 3, -2, 1], [2, 4, 1]);
      const c = tf.tensor2d([1, 0, -1, 2, 3, 1, 0, -2, 0.5, 1, 1, 1], [3, 4]);
      const [d1, d2] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(c, tf.reshape(ttToTensor({ cores: [a as tf.Tensor3D, b as tf.Tensor3D] }), [3, 4]))),
      )([g1, g2]) as [tf.Tensor, tf.Tensor];
      const want1 = tf.tidy(() => tf.reshape(tf.matMul(c, tf.transpose(tf.reshape(g2, [2, 4]))), [1, 3, 2]));
      const want2 = tf.tidy(() => tf.reshape(tf.matMul(tf.transpose(tf.reshape(g1, [3, 2])), c), [2, 4, 1]));
      // Small integers: both sides are exact in float32 up to summation order.
      const close = async (a: tf.Tensor, b: tf.Tensor): Promise<void> => {
        const x = await a.data();
        const y = await b.data();
        expect(a.shape).toEqual(b.shape);
        x.forEach((v, i) => {
          expect(v).toBeCloseTo(y[i] as number, 5);
        });
      };
      await close(d1, want1);
      await close(d2, want2);
      return [g1, g2, c, d1, d2, want1, want2];
    });
  });

  it('rejects disposed, non-float32 and mis-chained cores', () => {
    expectNoLeak(() => {
      const a = tf.zeros([1, 2, 2]) as tf.Tensor3D;
      const b = tf.zeros([3, 2, 1]) as tf.Tensor3D;
      expect(code(() => ttToTensor({ cores: [a, b] }))).toBe('SHAPE_MISMATCH');
      const i = tf.zeros([1, 2, 1], 'int32') as tf.Tensor3D;
      expect(code(() => ttToTensor({ cores: [i] }))).toBe('INVALID_ARGUMENT');
      const gone = tf.zeros([1, 2, 1]) as tf.Tensor3D;
      gone.dispose();
      expect(code(() => ttToTensor({ cores: [gone] }))).toBe('INVALID_ARGUMENT');
      return [a, b, i];
    });
  });
});
