import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Matrix64, Tensor64 } from './float64.js';
import { hooi, hooi64 } from './hooi.js';
import { hosvd64 } from './hosvd.js';
import { matmul64 } from './matmul64.js';
import { relativeError64 } from './norms.js';
import { Rng } from './random.js';
import { tuckerToTensor, tuckerToTensor64 } from './tucker-tensor.js';

// Same generators as hosvd.test.ts (a test file cannot import another without re-running it).
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

describe('hooi64', () => {
  it('full rank reconstructs to 1e-12; error ≤ HOSVD error; factors orthonormal; relError is the true error (property)', () => {
    fc.assert(
      fc.property(tuckerCase, ({ shape, ranks, seed }) => {
        const x = randomTensor(shape, seed);
        const full = hooi64(x, shape);
        expect(relativeError64(x, tuckerToTensor64(full))).toBeLessThan(1e-12);
        const t = hooi64(x, ranks, { tol: 0, maxIter: 10 });
        const err = relativeError64(x, tuckerToTensor64(t));
        const errHosvd = relativeError64(x, tuckerToTensor64(hosvd64(x, ranks)));
        // Each sweep maximizes ‖core‖ over one factor: never worse than its HOSVD start.
        expect(err).toBeLessThanOrEqual(errHosvd + 1e-12);
        // ‖x‖² − ‖core‖² loses ~1e-16·‖x‖² to cancellation: √ of that bounds the difference.
        expect(Math.abs(t.relError - err)).toBeLessThan(1e-7);
        for (const f of t.factors) expect(orthoDefect(f)).toBeLessThan(1e-12);
        expect(t.core.shape).toEqual(ranks);
      }),
      { seed: 61, numRuns: 80 },
    );
  });

  it('runs maxIter sweeps with tol = 0, stops early with a loose tol, is deterministic', () => {
    const x = randomTensor([5, 6, 4], 3);
    const a = hooi64(x, [2, 3, 2], { tol: 0, maxIter: 7 });
    expect(a.iterations).toBe(7);
    const b = hooi64(x, [2, 3, 2], { tol: 0, maxIter: 7 });
    expect(Array.from(a.core.data)).toEqual(Array.from(b.core.data));
    expect(hooi64(x, [2, 3, 2], { tol: 1 }).iterations).toBe(1);
    expect(hooi64(x, [2, 3, 2], { maxIter: 0 }).iterations).toBe(0);
    // Improves measurably over HOSVD on a generic tensor.
    const errHosvd = relativeError64(x, tuckerToTensor64(hosvd64(x, [2, 3, 2])));
    expect(a.relError).toBeLessThan(errHosvd);
  });

  it('partial HOOI factorizes only the listed modes', () => {
    const x = randomTensor([5, 3, 4, 6], 7);
    const t = hooi64(x, [2, 3], { modes: [3, 0] });
    expect(t.core.shape).toEqual([3, 3, 4, 2]);
    const errHosvd = relativeError64(x, tuckerToTensor64(hosvd64(x, [2, 3], { modes: [3, 0] })));
    expect(relativeError64(x, tuckerToTensor64(t))).toBeLessThanOrEqual(errHosvd + 1e-12);
  });

  it('rejects bad ranks, modes, lengths, options and non-finite input', () => {
    const x = randomTensor([3, 4], 1);
    expect(() => hooi64(x, [4, 2])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => hooi64(x, [0, 2])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => hooi64(x, [1.2, 2])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
    expect(() => hooi64(x, [2], { modes: [3] })).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
    expect(() => hooi64(x, [2, 2, 1])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => hooi64(x, [2, 2], { maxIter: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => hooi64(x, [2, 2], { tol: Number.NaN })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => hooi64(x, [2, 2], { init: 'random' as 'hosvd' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const y = randomTensor([3, 4], 2);
    y.data[0] = Number.NaN;
    expect(() => hooi64(y, [2, 2])).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
    y.data[0] = Number.NEGATIVE_INFINITY;
    expect(() => hooi64(y, [2, 2])).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
  });
});

describeBackends('hooi', () => {
  it('float32: full rank reconstructs to < 1e-5, truncated factors orthonormal to 1e-5, no leak (property)', async () => {
    await fc.assert(
      fc.asyncProperty(tuckerCase, async ({ shape, ranks, seed }) => {
        const x64 = randomTensor(shape, seed);
        await expectNoLeakAsync(async () => {
          const x = tf.tensor(Float32Array.from(x64.data), shape);
          const full = hooi(x, shape);
          const t = hooi(x, ranks, { maxIter: 5 });
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
          expect(typeof t.iterations).toBe('number');
          return [x, full, t, rec, err];
        });
      }),
      { seed: 62, numRuns: 25 },
    );
  });

  it('rejects bad input with TnzipError', () => {
    expectNoLeak(() => {
      const x = tf.ones([3, 4]);
      const nan = tf.tensor([
        [Number.NaN, 1],
        [0, 1],
      ]);
      expect(() => hooi(x, [5, 2])).toThrow(expect.objectContaining({ code: 'INVALID_RANK' }));
      expect(() => hooi(x, [2], { modes: [2] })).toThrow(expect.objectContaining({ code: 'INVALID_MODE' }));
      expect(() => hooi(x, [2, 2], { modes: [0] })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      expect(() => hooi(x, [2, 2], { maxIter: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => hooi(nan, [1, 1])).toThrow(expect.objectContaining({ code: 'NON_FINITE' }));
      return [x, nan];
    });
  });
});
