import * as tf from '@tensorflow/tfjs-core';
import { Rng, TnzipError } from '@tnzip/tensor';
import { describeBackends, expectNoLeak } from '@tnzip/testing';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { takeAll } from '../read.test-util.js';
import { fastMatMul } from './fast-matmul.js';
import { relErr } from './reference-conv.test-util.js';
import { withStockGradients } from './register-gradients.js';

function normal(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Exact float64 a·b and the gradients of Σ (a·b) ⊙ r. */
function reference(a: Float32Array, b: Float32Array, r: Float32Array, m: number, k: number, n: number) {
  const y = new Float64Array(m * n);
  const da = new Float64Array(m * k);
  const db = new Float64Array(k * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++)
      for (let l = 0; l < k; l++) {
        const av = a[i * k + l] as number;
        const bv = b[l * n + j] as number;
        const rv = r[i * n + j] as number;
        y[i * n + j] = (y[i * n + j] as number) + av * bv;
        da[i * k + l] = (da[i * k + l] as number) + rv * bv;
        db[l * n + j] = (db[l * n + j] as number) + rv * av;
      }
  return { y, da, db };
}

describeBackends('fastMatMul', (backend) => {
  it('matches the float64 product and its gradients (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(1000),
        async (m, k, n, seed) => {
          const rng = new Rng(seed);
          const a = normal(m * k, rng);
          const b = normal(k * n, rng);
          const r = normal(m * n, rng);
          const [y, da, db] = await takeAll(
            tf.tidy(() => {
              const ta = tf.tensor2d(a, [m, k]);
              const tb = tf.tensor2d(b, [k, n]);
              const tr = tf.tensor2d(r, [m, n]);
              const [da, db] = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
                tf.sum(tf.mul(fastMatMul(x as tf.Tensor2D, w as tf.Tensor2D), tr)),
              )([ta, tb]);
              return [fastMatMul(ta, tb), da as tf.Tensor, db as tf.Tensor] as const;
            }),
          );
          const got = { y, da, db };
          const ref = reference(a, b, r, m, k, n);
          // float32 dot products of <= 12 N(0,1) terms: ~1e-6 relative; 1e-4 leaves a wide margin.
          expect(relErr(got.y, ref.y)).toBeLessThan(1e-4);
          expect(relErr(got.da, ref.da)).toBeLessThan(1e-4);
          expect(relErr(got.db, ref.db)).toBeLessThan(1e-4);
        },
      ),
      // SwiftShader compiles shaders for every new shape (~0.25 s a case): fewer cases on webgpu.
      { seed: 42, numRuns: backend === 'webgpu' ? 20 : 60 },
    );
  });

  it("every transpose combination of tf.matMul matches tfjs's stock gradients (fast ones are registered globally)", async () => {
    const rng = new Rng(5);
    const a = tf.tensor2d(normal(7 * 5, rng), [7, 5]);
    const b = tf.tensor2d(normal(5 * 3, rng), [5, 3]);
    const at = tf.transpose(a);
    const bt = tf.transpose(b);
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      const x = ta ? at : a;
      const w = tb ? bt : b;
      const f = (p: tf.Tensor, q: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.matMul(p, q, ta, tb)));
      const fast = tf.grads(f)([x, w]);
      const ref = withStockGradients(() => tf.grads(f)([x, w]));
      // same maths in float32 with sums of 3-7 terms
      const [f0, f1, r0, r1] = await takeAll([...fast, ...ref] as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]);
      expect(relErr(f0, r0)).toBeLessThan(1e-5);
      expect(relErr(f1, r1)).toBeLessThan(1e-5);
    }
    tf.dispose([a, b, at, bt]);
  });

  it('leaks nothing and rejects inner-dimension mismatches', () => {
    const a = tf.ones([3, 4]) as tf.Tensor2D;
    const b = tf.ones([4, 2]) as tf.Tensor2D;
    expectNoLeak(() =>
      tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(fastMatMul(x as tf.Tensor2D, w as tf.Tensor2D)))([a, b]),
    );
    expect(() => fastMatMul(a, a)).toThrow(TnzipError);
    expect(() => fastMatMul(a, a)).toThrow(/a \[3, 4\] and b \[3, 4\]/);
    tf.dispose([a, b]);
  });
});
