import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kron, kron64 } from './kron.js';
import { Rng } from './random.js';

const dims = fc.tuple(
  fc.integer({ min: 1, max: 4 }),
  fc.integer({ min: 1, max: 4 }),
  fc.integer({ min: 1, max: 4 }),
  fc.integer({ min: 1, max: 4 }),
  fc.integer({ min: 0, max: 10_000 }),
);

/** (a ⊗ b)[i·p + k, j·q + l] = a[i, j] b[k, l], element by element. */
function naiveKron(a: Float64Array, m: number, n: number, b: Float64Array, p: number, q: number): Float64Array {
  const out = new Float64Array(m * p * n * q);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++)
      for (let k = 0; k < p; k++)
        for (let l = 0; l < q; l++)
          out[(i * p + k) * (n * q) + j * q + l] = (a[i * n + j] as number) * (b[k * q + l] as number);
  return out;
}

describe('kron64', () => {
  it('matches the definition (property)', () => {
    fc.assert(
      fc.property(dims, ([m, n, p, q, seed]) => {
        const rng = new Rng(seed);
        const a = { rows: m, cols: n, data: rng.normals(m * n) };
        const b = { rows: p, cols: q, data: rng.normals(p * q) };
        const k = kron64(a, b);
        expect([k.rows, k.cols]).toEqual([m * p, n * q]);
        expect(Array.from(k.data)).toEqual(Array.from(naiveKron(a.data, m, n, b.data, p, q)));
      }),
      { seed: 21, numRuns: 100 },
    );
  });
});

describeBackends('kron', () => {
  it('matches the definition (property)', async () => {
    await fc.assert(
      fc.asyncProperty(dims, async ([m, n, p, q, seed]) => {
        const rng = new Rng(seed);
        const a = Float32Array.from(rng.normals(m * n));
        const b = Float32Array.from(rng.normals(p * q));
        const ref = naiveKron(Float64Array.from(a), m, n, Float64Array.from(b), p, q);
        await expectNoLeakAsync(async () => {
          const at = tf.tensor2d(a, [m, n]);
          const bt = tf.tensor2d(b, [p, q]);
          const k = kron(at, bt);
          expect(k.shape).toEqual([m * p, n * q]);
          // One float32 product per entry: exact up to float32 rounding of the product.
          const got = await k.data();
          ref.forEach((v, i) => {
            expect(Math.abs((got[i] as number) - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-6);
          });
          return [at, bt, k];
        });
      }),
      { seed: 22, numRuns: 30 },
    );
  });

  it('rejects inputs that are not matrices', () => {
    expectNoLeak(() => {
      const a = tf.zeros([2, 2]) as tf.Tensor2D;
      const v = tf.zeros([2]) as unknown as tf.Tensor2D;
      expect(() => kron(a, v)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      expect(() => kron(v, a)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      return [a, v];
    });
  });
});
