import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Matrix64 } from './float64.js';
import {
  Rng,
  TnzipError,
  ttMatrix,
  ttMatrix64,
  ttMatrixParams,
  ttMatrixRankBounds,
  ttMatrixToMatrix,
  ttMatrixToMatrix64,
} from './index.js';

const SEED = 31337;

function gaussian(rows: number, cols: number, seed: number): Matrix64 {
  return { rows, cols, data: new Rng(seed).normals(rows * cols) };
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    e += ((a[i] as number) - (b[i] as number)) ** 2;
    n += (b[i] as number) ** 2;
  }
  return n === 0 ? Math.sqrt(e) : Math.sqrt(e / n);
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TnzipError);
    return (e as TnzipError).code;
  }
  throw new Error('did not throw');
}

const dimsArb = fc
  .integer({ min: 1, max: 4 })
  .chain((d) =>
    fc.tuple(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: d, maxLength: d }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: d, maxLength: d }),
    ),
  )
  .filter(([r, c]) => r.reduce((a, b) => a * b, 1) * c.reduce((a, b) => a * b, 1) <= 4096);

const prod = (a: number[]): number => a.reduce((x, y) => x * y, 1);

describe('ttMatrix64 (float64)', () => {
  it('full ranks reproduce W to ~1e-12', () => {
    fc.assert(
      fc.property(dimsArb, fc.nat(1000), ([rowDims, colDims], seed) => {
        const w = gaussian(prod(rowDims), prod(colDims), seed);
        const ttm = ttMatrix64(w, rowDims, colDims, ttMatrixRankBounds(rowDims, colDims));
        const back = ttMatrixToMatrix64(ttm);
        expect([back.rows, back.cols]).toEqual([w.rows, w.cols]);
        expect(relErr(back.data, w.data)).toBeLessThan(1e-12);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('follows the documented index convention W[i, j] = G_1[i_1, j_1] ⋯ G_d[i_d, j_d] (C order)', () => {
    const rowDims = [2, 3];
    const colDims = [3, 2];
    const w = gaussian(6, 6, 5);
    const ttm = ttMatrix64(w, rowDims, colDims, [2]);
    const [g1, g2] = ttm.cores as unknown as [{ data: Float64Array }, { data: Float64Array }];
    // g1: [1, 2, 3, 2], g2: [2, 3, 2, 1]
    const back = ttMatrixToMatrix64(ttm);
    for (let i1 = 0; i1 < 2; i1++)
      for (let i2 = 0; i2 < 3; i2++)
        for (let j1 = 0; j1 < 3; j1++)
          for (let j2 = 0; j2 < 2; j2++) {
            let v = 0;
            for (let r = 0; r < 2; r++)
              v += (g1.data[(i1 * 3 + j1) * 2 + r] as number) * (g2.data[((r * 3 + i2) * 2 + j2) * 1] as number);
            expect(back.data[(i1 * 3 + i2) * 6 + (j1 * 2 + j2)]).toBeCloseTo(v, 12);
          }
  });

  it('with eps meets ‖W − TTM‖ ≤ eps‖W‖', () => {
    fc.assert(
      fc.property(
        dimsArb,
        fc.nat(1000),
        fc.double({ min: 0.01, max: 0.9, noNaN: true }),
        ([rowDims, colDims], seed, eps) => {
          const w = gaussian(prod(rowDims), prod(colDims), seed);
          const back = ttMatrixToMatrix64(ttMatrix64(w, rowDims, colDims, { eps }));
          expect(relErr(back.data, w.data)).toBeLessThanOrEqual(eps * (1 + 1e-10));
        },
      ),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('ttMatrixParams equals the number of core entries', () => {
    fc.assert(
      fc.property(
        dimsArb.chain(([r, c]) =>
          fc.tuple(
            fc.constant(r),
            fc.constant(c),
            fc.tuple(...ttMatrixRankBounds(r, c).map((b) => fc.integer({ min: 1, max: b }))),
          ),
        ),
        ([rowDims, colDims, ranks]) => {
          const ttm = ttMatrix64(gaussian(prod(rowDims), prod(colDims), 1), rowDims, colDims, ranks);
          expect(ttMatrixParams(rowDims, colDims, ranks)).toBe(ttm.cores.reduce((s, c) => s + c.data.length, 0));
          ttm.cores.forEach((c, k) => {
            expect(c.shape).toEqual([
              k === 0 ? 1 : ranks[k - 1],
              rowDims[k],
              colDims[k],
              k === ranks.length ? 1 : ranks[k],
            ]);
          });
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('rank bounds are those of the merged modes m_k·n_k', () => {
    expect(ttMatrixRankBounds([4, 8, 8], [8, 8, 12])).toEqual([32, 96]);
    expect(ttMatrixParams([4, 8], [8, 8], [5])).toBe(4 * 8 * 5 + 5 * 8 * 8);
  });

  it('rejects bad input with TnzipError', () => {
    const w = gaussian(6, 8, 1);
    expect(code(() => ttMatrix64(w, [2, 3], [2, 2], [2]))).toBe('SHAPE_MISMATCH'); // Π colDims ≠ 8
    expect(code(() => ttMatrix64(w, [6], [2, 4], [2]))).toBe('SHAPE_MISMATCH'); // lengths differ
    expect(code(() => ttMatrix64(w, [2, 3], [2, 4], [9]))).toBe('INVALID_RANK'); // bound min(4, 12) = 4
    expect(code(() => ttMatrix64(w, [2, 3], [2, 4], [0]))).toBe('INVALID_RANK');
    expect(code(() => ttMatrix64(w, [2, 3], [2, 4], [1.5]))).toBe('INVALID_RANK');
    expect(code(() => ttMatrix64(w, [2, 3], [2, 4], { eps: 2 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => ttMatrix64(w, [2, 0, 3], [2, 4, 1], [1, 1]))).toBe('SHAPE_MISMATCH');
    const bad = { rows: 6, cols: 8, data: Float64Array.from(w.data) };
    bad.data[3] = Number.NaN;
    expect(code(() => ttMatrix64(bad, [2, 3], [2, 4], [2]))).toBe('NON_FINITE');
    bad.data[3] = Number.NEGATIVE_INFINITY;
    expect(code(() => ttMatrix64(bad, [2, 3], [2, 4], [2]))).toBe('NON_FINITE');
    expect(code(() => ttMatrixParams([2, 3], [2, 4], [5]))).toBe('INVALID_RANK');
    const ttm = ttMatrix64(w, [2, 3], [2, 4], [2]);
    expect(code(() => ttMatrixToMatrix64({ ...ttm, rowDims: [3, 2] }))).toBe('SHAPE_MISMATCH');
  });
});

describeBackends('ttMatrix', () => {
  it('ttMatrixToMatrix(ttMatrix(W)) ≈ W at full ranks (float32, rel < 1e-5) and leaks nothing', async () => {
    await fc.assert(
      fc.asyncProperty(dimsArb, fc.nat(1000), async ([rowDims, colDims], seed) => {
        const w64 = gaussian(prod(rowDims), prod(colDims), seed);
        await expectNoLeakAsync(async () => {
          const w = tf.tensor2d(Float32Array.from(w64.data), [w64.rows, w64.cols]);
          const ttm = ttMatrix(w, rowDims, colDims, ttMatrixRankBounds(rowDims, colDims));
          const back = ttMatrixToMatrix(ttm);
          expect(back.shape).toEqual([w64.rows, w64.cols]);
          expect(relErr(await back.data(), w64.data)).toBeLessThan(1e-5);
          return [w, ttm, back];
        });
      }),
      { seed: SEED, numRuns: 15 },
    );
  });

  it('ttMatrixToMatrix agrees with the float64 contraction at truncated ranks', async () => {
    await expectNoLeakAsync(async () => {
      const w64 = gaussian(24, 30, 2);
      const ttm64 = ttMatrix64(w64, [2, 3, 4], [5, 2, 3], { maxRank: 3 });
      const ref = ttMatrixToMatrix64(ttm64);
      const cores = ttm64.cores.map((c) =>
        tf.tensor4d(Float32Array.from(c.data), c.shape as [number, number, number, number]),
      );
      const back = ttMatrixToMatrix({ cores, rowDims: ttm64.rowDims, colDims: ttm64.colDims });
      expect(relErr(await back.data(), ref.data)).toBeLessThan(1e-5);
      return [cores, back];
    });
  });

  it('is differentiable: tf.grads flows to every core and matches a finite difference', async () => {
    await expectNoLeakAsync(async () => {
      const ttm64 = ttMatrix64(gaussian(6, 4, 3), [2, 3], [2, 2], [2]);
      const cores = ttm64.cores.map((c) =>
        tf.tensor4d(Float32Array.from(c.data), c.shape as [number, number, number, number]),
      );
      const target = tf.tensor2d(Float32Array.from(new Rng(4).normals(24)), [6, 4]);
      const loss = (...cs: tf.Tensor[]): tf.Scalar =>
        tf.sum(
          tf.square(tf.sub(ttMatrixToMatrix({ cores: cs as tf.Tensor4D[], rowDims: [2, 3], colDims: [2, 2] }), target)),
        );
      const grads = tf.grads(loss)(cores);
      expect(grads.map((g) => g.shape)).toEqual(cores.map((c) => c.shape));
      // Central difference on one entry of the first core.
      const h = 1e-2;
      const g0 = (await (grads[0] as tf.Tensor).data())[1] as number;
      const bump = async (delta: number): Promise<number> => {
        const l = tf.tidy(() => {
          const base = ttm64.cores[0] as { shape: number[]; data: Float64Array };
          const data = Float32Array.from(base.data);
          data[1] = (data[1] as number) + delta;
          const c0 = tf.tensor4d(data, base.shape as [number, number, number, number]);
          return loss(c0, cores[1] as tf.Tensor);
        });
        const v = (await l.data())[0] as number;
        l.dispose();
        return v;
      };
      // The loss is quadratic in one entry, so the central difference is exact up to float32 round-off
      // (≈ 1e-4 here).
      expect(g0).toBeCloseTo(((await bump(h)) - (await bump(-h))) / (2 * h), 2);
      expect(Math.abs(g0)).toBeGreaterThan(0);
      return [cores, target, grads];
    });
  });

  it('rejects shape mismatch and NaN with TnzipError', () => {
    expectNoLeak(() => {
      const w = tf.tensor2d([1, 2, 3, Number.NaN], [2, 2]);
      expect(code(() => ttMatrix(w, [2], [2], []))).toBe('NON_FINITE');
      const ok = tf.ones([2, 4]) as tf.Tensor2D;
      expect(code(() => ttMatrix(ok, [2], [2], []))).toBe('SHAPE_MISMATCH');
      const c = tf.ones([1, 2, 4, 1]) as tf.Tensor4D;
      expect(code(() => ttMatrixToMatrix({ cores: [c], rowDims: [2], colDims: [3] }))).toBe('SHAPE_MISMATCH');
      return [w, ok, c];
    });
  });
});
