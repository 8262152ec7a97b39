import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Matrix64, Tensor64 } from './float64.js';
import { hosvd, hosvd64, leadingLeft64 } from './hosvd.js';
import { matmul64 } from './matmul64.js';
import { relativeError64 } from './norms.js';
import { Rng } from './random.js';
import { svd64 } from './svd.js';
import { tuckerToTensor, tuckerToTensor64 } from './tucker-tensor.js';
import { unfold64 } from './unfold.js';

const MAX_DIM: Record<number, number> = { 2: 8, 3: 6, 4: 4, 5: 3, 6: 3 };
/** Order 2–6 tensors with small dims, ranks at (full = true) or below full, a data seed. */
const tuckerCase = fc
  .integer({ min: 2, max: 6 })
  .chain((order) =>
    fc.record({
      shape: fc.array(fc.integer({ min: 1, max: MAX_DIM[order] as number }), { minLength: order, maxLength: order }),
      rankFracs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: order, maxLength: order }),
      full: fc.boolean(),
      seed: fc.integer({ min: 0, max: 100_000 }),
    }),
  )
  .map(({ shape, rankFracs, full, seed }) => ({
    shape,
    ranks: full ? [...shape] : shape.map((d, i) => 1 + Math.min(d - 1, Math.floor((rankFracs[i] as number) * d))),
    seed,
  }));

function randomTensor(shape: readonly number[], seed: number): Tensor64 {
  return { shape: [...shape], data: new Rng(seed).normals(shape.reduce((a, b) => a * b, 1)) };
}

/** max |FᵀF − I| of a matrix with (supposedly) orthonormal columns. */
function orthoDefect(f: Matrix64): number {
  const g = matmul64(f, f, true, false);
  let m = 0;
  for (let i = 0; i < g.rows; i++)
    for (let j = 0; j < g.cols; j++) m = Math.max(m, Math.abs((g.data[i * g.cols + j] as number) - (i === j ? 1 : 0)));
  return m;
}

/** Σ_n Σ_{i > r_n} σ_{n,i}²: HOSVD's error bound (squared), and the per-mode terms. */
function discardedEnergy(
  x: Tensor64,
  ranks: readonly number[],
  modes: readonly number[],
): { sum: number; max: number } {
  let sum = 0;
  let max = 0;
  modes.forEach((m, i) => {
    const { s } = svd64(unfold64(x, m));
    let e = 0;
    for (let k = ranks[i] as number; k < s.length; k++) e += (s[k] as number) ** 2;
    sum += e;
    max = Math.max(max, e);
  });
  return { sum, max };
}

function norm2(x: Tensor64): number {
  let s = 0;
  for (const v of x.data) s += v * v;
  return s;
}

describe('hosvd64', () => {
  it('full rank reconstructs to 1e-12; truncated meets the quasi-optimality bound (property)', () => {
    fc.assert(
      fc.property(tuckerCase, ({ shape, ranks, seed }) => {
        const x = randomTensor(shape, seed);
        const modes = shape.map((_, i) => i);
        const t = hosvd64(x, ranks);
        expect(t.core.shape).toEqual(ranks);
        t.factors.forEach((f, i) => {
          expect([f.rows, f.cols]).toEqual([shape[i], ranks[i]]);
          expect(orthoDefect(f)).toBeLessThan(1e-12);
        });
        const err2 = norm2(x) * relativeError64(x, tuckerToTensor64(t)) ** 2;
        const { sum, max } = discardedEnergy(x, ranks, modes);
        if (sum === 0) expect(relativeError64(x, tuckerToTensor64(t))).toBeLessThan(1e-12);
        // ‖x − x̂‖² ≤ Σ_n Σ_{i>r_n} σ_{n,i}² (slack: float64 rounding relative to ‖x‖²)…
        expect(err2).toBeLessThanOrEqual(sum + 1e-12 * norm2(x));
        // …hence ‖x − x̂‖ ≤ √N · max_n (discarded of mode n) ≤ √N · ‖x − x_best‖.
        expect(Math.sqrt(err2)).toBeLessThanOrEqual(Math.sqrt(shape.length * max) + 1e-6 * Math.sqrt(norm2(x)));
      }),
      { seed: 51, numRuns: 120 },
    );
  });

  it('recovers a tensor of exact multilinear rank through the SVD path', () => {
    fc.assert(
      fc.property(tuckerCase, ({ shape, ranks, seed }) => {
        const rng = new Rng(seed + 1);
        const core = randomTensor(ranks, seed);
        const factors = shape.map((d, i) => ({
          rows: d,
          cols: ranks[i] as number,
          data: rng.normals(d * (ranks[i] as number)),
        }));
        const modes = shape.map((_, i) => i);
        const x = tuckerToTensor64({ core, factors, modes });
        const t = hosvd64(x, ranks);
        expect(relativeError64(x, tuckerToTensor64(t))).toBeLessThan(1e-9);
      }),
      { seed: 52, numRuns: 80 },
    );
  });

  it('partial HOSVD factorizes only the listed modes', () => {
    const x = randomTensor([5, 3, 4, 6], 3);
    const t = hosvd64(x, [2, 3], { modes: [3, 0] });
    expect(t.modes).toEqual([3, 0]);
    expect(t.core.shape).toEqual([3, 3, 4, 2]);
    expect([t.factors[0]?.rows, t.factors[0]?.cols]).toEqual([6, 2]);
    const err2 = norm2(x) * relativeError64(x, tuckerToTensor64(t)) ** 2;
    expect(err2).toBeLessThanOrEqual(discardedEnergy(x, [2, 3], [3, 0]).sum * (1 + 1e-12));
  });

  it('is deterministic', () => {
    const x = randomTensor([4, 5, 3], 9);
    const a = hosvd64(x, [2, 3, 2]);
    const b = hosvd64(x, [2, 3, 2]);
    expect(Array.from(a.core.data)).toEqual(Array.from(b.core.data));
    a.factors.forEach((f, i) => {
      expect(Array.from(f.data)).toEqual(Array.from(b.factors[i]?.data ?? []));
    });
  });

  it('keeps factors orthonormal when the unfolding has fewer singular values than the rank', () => {
    // Mode 0 of a [6, 2] tensor has rank <= 2, so 4 columns complete the basis; zero tensors have none.
    for (const x of [randomTensor([6, 2], 4), { shape: [3, 4], data: new Float64Array(12) }]) {
      const t = hosvd64(x, [x.shape[0] === 6 ? 5 : 2, 1]);
      for (const f of t.factors) expect(orthoDefect(f)).toBeLessThan(1e-12);
    }
    const u = leadingLeft64({ rows: 4, cols: 1, data: Float64Array.from([1, 2, 0, 0]) }, 3);
    expect(orthoDefect(u)).toBeLessThan(1e-12);
  });

  it('rejects bad ranks, modes, lengths and non-finite input', () => {
    const x = randomTensor([3, 4], 1);
    expect(() => hosvd64(x, [0, 2])).toThrow(
      expect.objectContaining({ code: 'INVALID_RANK', message: expect.stringContaining('ranks[0]') }),
    );
    expect(() => hosvd64(x, [2, 5])).toThrow(
      expect.objectContaining({ code: 'INVALID_RANK', message: expect.stringContaining('ranks[1]') }),
    );
    expect(() => hosvd64(x, [1.5, 2])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => hosvd64(x, [2], { modes: [2] })).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
    expect(() => hosvd64(x, [2, 2], { modes: [1, 1] })).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
    expect(() => hosvd64(x, [2])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => hosvd64({ shape: [3, 4], data: new Float64Array(11) }, [2, 2])).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const y = randomTensor([3, 4], 2);
      y.data[5] = bad;
      expect(() => hosvd64(y, [2, 2])).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    }
  });
});

describeBackends('hosvd', () => {
  it('float32: full rank reconstructs to < 1e-5, factors orthonormal to 1e-5, no leak (property)', async () => {
    await fc.assert(
      fc.asyncProperty(tuckerCase, async ({ shape, ranks, seed }) => {
        const x64 = randomTensor(shape, seed);
        await expectNoLeakAsync(async () => {
          const x = tf.tensor(Float32Array.from(x64.data), shape);
          const full = hosvd(x, shape);
          const t = hosvd(x, ranks);
          const rec = tuckerToTensor(full);
          const err = tf.tidy(() => tf.div(tf.norm(tf.sub(x, rec)), tf.norm(x)));
          expect((await err.data())[0]).toBeLessThan(1e-5);
          for (const f of t.factors) {
            const d = tf.tidy(() =>
              tf.max(tf.abs(tf.sub(tf.matMul(tf.transpose(f), f), tf.eye(f.shape[1] as number)))),
            );
            expect((await d.data())[0]).toBeLessThan(1e-5);
            d.dispose();
          }
          expect(t.core.shape).toEqual(ranks);
          return [x, full, t, rec, err];
        });
      }),
      { seed: 53, numRuns: 25 },
    );
  });

  it('rejects bad ranks, modes, lengths and NaN/Infinity', () => {
    expectNoLeak(() => {
      const x = tf.ones([3, 4]);
      const nan = tf.tensor([
        [1, Number.NaN],
        [0, 1],
      ]);
      const inf = tf.tensor([
        [1, Number.POSITIVE_INFINITY],
        [0, 1],
      ]);
      expect(() => hosvd(x, [4, 2])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
      expect(() => hosvd(x, [0, 2])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
      expect(() => hosvd(x, [2.5, 2])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
      expect(() => hosvd(x, [2], { modes: [-1] })).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
      expect(() => hosvd(x, [2, 2, 2])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      expect(() => hosvd(nan, [1, 1])).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
      expect(() => hosvd(inf, [1, 1])).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
      return [x, nan, inf];
    });
  });
});
