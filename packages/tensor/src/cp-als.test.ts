import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpAls, cpAls64 } from './cp-als.js';
import { cpToTensor, cpToTensor64 } from './cp-tensor.js';
import type { Tensor64 } from './float64.js';
import { relativeError64 } from './norms.js';
import { Rng } from './random.js';

const MAX_DIM: Record<number, number> = { 2: 8, 3: 6, 4: 4, 5: 3, 6: 3 };
/** Random CP tensors: order 2–6, dims >= 2, rank R from 1 up to the smallest dim. */
const cpCase = fc
  .integer({ min: 2, max: 6 })
  .chain((order) =>
    fc.record({
      shape: fc.array(fc.integer({ min: 2, max: MAX_DIM[order] as number }), { minLength: order, maxLength: order }),
      rFrac: fc.double({ min: 0, max: 1, noNaN: true }),
      seed: fc.integer({ min: 0, max: 100_000 }),
    }),
  )
  .map(({ shape, rFrac, seed }) => {
    const minDim = Math.min(...shape);
    return { shape, rank: 1 + Math.min(minDim - 1, Math.floor(rFrac * minDim)), seed };
  });

function randomCpTensor(shape: number[], R: number, seed: number): Tensor64 {
  const rng = new Rng(seed);
  const factors = shape.map((d) => ({ rows: d, cols: R, data: rng.normals(d * R) }));
  return cpToTensor64({ weights: new Float64Array(R).fill(1), factors });
}

describe('cpAls64', () => {
  it('recovers random low-rank CP tensors to relative error < 1e-4 (property)', () => {
    // SVD init + line search: no restarts needed (1000 random cases of this generator all pass).
    fc.assert(
      fc.property(cpCase, ({ shape, rank, seed }) => {
        const x = randomCpTensor(shape, rank, seed);
        const r = cpAls64(x, rank, { maxIter: 300, tol: 1e-12 });
        expect(r.relError).toBeLessThan(1e-4);
        expect(relativeError64(x, cpToTensor64(r))).toBeCloseTo(r.relError, 12);
        r.factors.forEach((f, n) => {
          expect([f.rows, f.cols]).toEqual([shape[n], rank]);
          for (let c = 0; c < rank; c++) {
            let s = 0;
            for (let i = 0; i < f.rows; i++) s += (f.data[i * rank + c] as number) ** 2;
            expect(Math.sqrt(s)).toBeCloseTo(1, 12);
          }
        });
        for (const w of r.weights) expect(w).toBeGreaterThanOrEqual(0);
      }),
      { seed: 71, numRuns: 100 },
    );
  });

  it('gives the same result for the same seed, and a random init that depends on it', () => {
    const x = randomCpTensor([4, 5, 3], 3, 5);
    for (const init of ['svd', 'random'] as const) {
      const a = cpAls64(x, 2, { seed: 3, init, maxIter: 20 });
      const b = cpAls64(x, 2, { seed: 3, init, maxIter: 20 });
      expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
      a.factors.forEach((f, n) => {
        expect(Array.from(f.data)).toEqual(Array.from(b.factors[n]?.data ?? []));
      });
    }
    const c = cpAls64(x, 2, { seed: 4, init: 'random', maxIter: 1 });
    const d = cpAls64(x, 2, { seed: 3, init: 'random', maxIter: 1 });
    expect(Array.from(c.weights)).not.toEqual(Array.from(d.weights));
  });

  it('fits the best it can when the rank is too small, monotone in sweeps without line search', () => {
    const x = randomCpTensor([4, 4, 4], 3, 8);
    const errs = [1, 2, 5, 20].map((maxIter) => cpAls64(x, 1, { maxIter, tol: 0, lineSearch: false }).relError);
    for (let i = 1; i < errs.length; i++) expect(errs[i]).toBeLessThanOrEqual((errs[i - 1] as number) + 1e-12);
    expect(cpAls64(x, 1, { maxIter: 7, tol: 0 }).iterations).toBe(7);
  });

  it('handles the zero tensor and rank above the dimensions', () => {
    const z = cpAls64({ shape: [2, 3], data: new Float64Array(6) }, 2);
    expect(z.relError).toBe(0);
    const x = randomCpTensor([2, 2, 2], 2, 1);
    const r = cpAls64(x, 3, { maxIter: 50 });
    expect(Number.isFinite(r.relError)).toBe(true);
    expect(r.relError).toBeLessThan(1e-3);
  });

  it('rejects bad rank, order, options and non-finite input', () => {
    const x = randomCpTensor([3, 4], 2, 1);
    expect(() => cpAls64(x, 0)).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => cpAls64(x, 1.5)).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => cpAls64(x, 4)).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => cpAls64({ shape: [5], data: new Float64Array(5) }, 1)).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    expect(() => cpAls64({ shape: [3, 4], data: new Float64Array(5) }, 1)).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    expect(() => cpAls64(x, 1, { maxIter: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => cpAls64(x, 1, { tol: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => cpAls64(x, 1, { seed: 0.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => cpAls64(x, 1, { init: 'hosvd' as 'svd' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const y = randomCpTensor([3, 4], 2, 1);
      y.data[3] = bad;
      expect(() => cpAls64(y, 1)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    }
  });
});

describeBackends('cpAls', () => {
  it('float32: recovers a low-rank CP tensor, returns tensors the caller owns', async () => {
    const x64 = randomCpTensor([4, 3, 5], 2, 17);
    await expectNoLeakAsync(async () => {
      const x = tf.tensor(Float32Array.from(x64.data), [...x64.shape]);
      const r = cpAls(x, 2, { seed: 1 });
      // The input is float32-rounded: 1e-4 leaves room for that and float32 reconstruction.
      expect(r.relError).toBeLessThan(1e-4);
      const rec = cpToTensor(r);
      const err = tf.tidy(() => tf.div(tf.norm(tf.sub(x, rec)), tf.norm(x)));
      expect((await err.data())[0]).toBeLessThan(1e-4);
      expect(r.weights.shape).toEqual([2]);
      return [x, r, rec, err];
    });
  });

  it('rejects bad input with TnzipError', () => {
    expectNoLeak(() => {
      const x = tf.ones([3, 4]);
      const v = tf.ones([4]);
      const nan = tf.tensor([
        [Number.NaN, 1],
        [0, 1],
      ]);
      expect(() => cpAls(x, 0)).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
      expect(() => cpAls(x, 2.5)).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
      expect(() => cpAls(x, 4)).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
      expect(() => cpAls(v, 1)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      expect(() => cpAls(nan, 1)).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
      return [x, v, nan];
    });
  });
});
