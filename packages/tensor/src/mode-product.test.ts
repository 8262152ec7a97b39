import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers gradients only on request; training code does the same.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Matrix64, Tensor64 } from './float64.js';
import { modeProduct, modeProduct64, multiModeProduct, multiModeProduct64 } from './mode-product.js';
import { Rng } from './random.js';

const MAX_DIM: Record<number, number> = { 1: 6, 2: 6, 3: 5, 4: 4, 5: 3, 6: 3 };
const caseArb = fc.integer({ min: 1, max: 6 }).chain((order) =>
  fc.record({
    shape: fc.array(fc.integer({ min: 1, max: MAX_DIM[order] as number }), { minLength: order, maxLength: order }),
    mode: fc.integer({ min: 0, max: order - 1 }),
    j: fc.integer({ min: 1, max: 5 }),
    transpose: fc.boolean(),
    seed: fc.integer({ min: 0, max: 10_000 }),
  }),
);

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let k = shape.length - 2; k >= 0; k--) s[k] = (s[k + 1] as number) * (shape[k + 1] as number);
  return s;
}

/** y[…, j, …] = Σ_i op(u)[j, i] x[…, i, …], straight from the definition. */
export function naiveModeProduct(x: Tensor64, u: Matrix64, mode: number, transpose: boolean): Tensor64 {
  const J = transpose ? u.cols : u.rows;
  const I = x.shape[mode] as number;
  const shape = [...x.shape];
  shape[mode] = J;
  const xs = strides(x.shape);
  const ys = strides(shape);
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  for (let flat = 0; flat < size; flat++) {
    let rem = flat;
    const idx = ys.map((s) => {
      const i = Math.floor(rem / s);
      rem -= i * s;
      return i;
    });
    const j = idx[mode] as number;
    let acc = 0;
    for (let i = 0; i < I; i++) {
      let off = 0;
      idx.forEach((v, k) => {
        off += (k === mode ? i : v) * (xs[k] as number);
      });
      const uji = transpose ? u.data[i * u.cols + j] : u.data[j * u.cols + i];
      acc += (uji as number) * (x.data[off] as number);
    }
    out[flat] = acc;
  }
  return { shape, data: out };
}

function makeCase(c: { shape: number[]; mode: number; j: number; transpose: boolean; seed: number }) {
  const rng = new Rng(c.seed);
  const I = c.shape[c.mode] as number;
  const x = { shape: c.shape, data: rng.normals(c.shape.reduce((a, b) => a * b, 1)) };
  const u = c.transpose
    ? { rows: I, cols: c.j, data: rng.normals(I * c.j) }
    : { rows: c.j, cols: I, data: rng.normals(I * c.j) };
  return { x, u };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('modeProduct64', () => {
  it('agrees with the naive loop (property)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { x, u } = makeCase(c);
        const y = modeProduct64(x, u, c.mode, { transpose: c.transpose });
        const ref = naiveModeProduct(x, u, c.mode, c.transpose);
        expect(y.shape).toEqual(ref.shape);
        expect(maxAbsDiff(y.data, ref.data)).toBeLessThan(1e-12);
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  it('multiModeProduct64 equals sequential products in any order', () => {
    const rng = new Rng(3);
    const x = { shape: [3, 4, 5], data: rng.normals(60) };
    const us = [
      { rows: 2, cols: 3, data: rng.normals(6) },
      { rows: 6, cols: 5, data: rng.normals(30) },
    ];
    const y = multiModeProduct64(x, us, [0, 2]);
    const ref = naiveModeProduct(naiveModeProduct(x, us[0] as Matrix64, 0, false), us[1] as Matrix64, 2, false);
    expect(y.shape).toEqual([2, 4, 6]);
    expect(maxAbsDiff(y.data, ref.data)).toBeLessThan(1e-12);
  });

  it('rejects a bad mode, a mismatched u, repeated modes and a us/modes length mismatch', () => {
    const x = { shape: [2, 3], data: new Float64Array(6) };
    const u = { rows: 4, cols: 3, data: new Float64Array(12) };
    expect(() => modeProduct64(x, u, 2)).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
    expect(() => modeProduct64(x, u, 0)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => modeProduct64(x, u, 1, { transpose: true })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    expect(() => multiModeProduct64(x, [u, u], [1, 1])).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
    expect(() => multiModeProduct64(x, [u], [0, 1])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });
});

describeBackends('modeProduct', () => {
  it('agrees with the naive loop (property)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { x, u } = makeCase(c);
        const ref = naiveModeProduct(x, u, c.mode, c.transpose);
        await expectNoLeakAsync(async () => {
          const xt = tf.tensor(Float32Array.from(x.data), c.shape);
          const ut = tf.tensor2d(Float32Array.from(u.data), [u.rows, u.cols]);
          const y = modeProduct(xt, ut, c.mode, { transpose: c.transpose });
          expect(y.shape).toEqual(ref.shape);
          // float32 sums of <= 6 products of N(0,1) entries: 1e-5 absolute is ~100 ulps.
          expect(maxAbsDiff(await y.data(), ref.data)).toBeLessThan(1e-5);
          return [xt, ut, y];
        });
      }),
      { seed: 12, numRuns: 40 },
    );
  });

  it('multiModeProduct matches the float64 path', async () => {
    const rng = new Rng(5);
    const x = { shape: [3, 4, 2, 5], data: rng.normals(120) };
    const us = [
      { rows: 4, cols: 2, data: rng.normals(8) },
      { rows: 3, cols: 3, data: rng.normals(9) },
      { rows: 5, cols: 4, data: rng.normals(20) },
    ];
    const ref = multiModeProduct64(x, us, [1, 0, 3], { transpose: true });
    await expectNoLeakAsync(async () => {
      const xt = tf.tensor(Float32Array.from(x.data), x.shape);
      const ut = us.map((u) => tf.tensor2d(Float32Array.from(u.data), [u.rows, u.cols]));
      const y = multiModeProduct(xt, ut, [1, 0, 3], { transpose: true });
      expect(y.shape).toEqual(ref.shape);
      expect(maxAbsDiff(await y.data(), ref.data)).toBeLessThan(1e-4);
      const same = multiModeProduct(xt, [], []);
      expect(same).not.toBe(xt);
      return [xt, ut, y, same];
    });
  });

  it('is differentiable: dL/du = W_(n) x_(n)ᵀ and dL/dx = W ×_n uᵀ for L = Σ W ∘ (x ×_n u)', async () => {
    const rng = new Rng(9);
    const x64 = { shape: [2, 3, 4], data: rng.normals(24) };
    const u64 = { rows: 5, cols: 3, data: rng.normals(15) };
    const w64 = { shape: [2, 5, 4], data: rng.normals(40) };
    await expectNoLeakAsync(async () => {
      const x = tf.tensor(Float32Array.from(x64.data), x64.shape);
      const u = tf.tensor2d(Float32Array.from(u64.data), [5, 3]);
      const w = tf.tensor(Float32Array.from(w64.data), w64.shape);
      const grads = tf.grads((xx: tf.Tensor, uu: tf.Tensor) =>
        tf.sum(tf.mul(w, modeProduct(xx, uu as tf.Tensor2D, 1))),
      );
      const [gx, gu] = grads([x, u]);
      const gxRef = naiveModeProduct(w64, u64, 1, true);
      expect(maxAbsDiff(await (gx as tf.Tensor).data(), gxRef.data)).toBeLessThan(1e-4);
      // dL/du[j, i] = Σ_{a,b} W[a, j, b] x[a, i, b]
      const guRef = new Float64Array(15);
      for (let j = 0; j < 5; j++)
        for (let i = 0; i < 3; i++)
          for (let a = 0; a < 2; a++)
            for (let b = 0; b < 4; b++)
              guRef[j * 3 + i] =
                (guRef[j * 3 + i] as number) +
                (w64.data[a * 20 + j * 4 + b] as number) * (x64.data[a * 12 + i * 4 + b] as number);
      expect(maxAbsDiff(await (gu as tf.Tensor).data(), guRef)).toBeLessThan(1e-4);
      return [x, u, w, gx, gu];
    });
  });

  it('rejects a bad mode, a mismatched u, repeated modes and a length mismatch', () => {
    expectNoLeak(() => {
      const x = tf.zeros([2, 3]);
      const u = tf.zeros([4, 3]) as tf.Tensor2D;
      expect(() => modeProduct(x, u, 2)).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
      expect(() => modeProduct(x, u, 0)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      expect(() => modeProduct(x, u, 1, { transpose: true })).toThrow(
        expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
      );
      const v = tf.zeros([3]);
      expect(() => modeProduct(x, v as unknown as tf.Tensor2D, 1)).toThrow(
        expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
      );
      expect(() => multiModeProduct(x, [u, u], [1, 1])).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
      expect(() => multiModeProduct(x, [u], [0, 1])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      return [x, u, v];
    });
  });
});
