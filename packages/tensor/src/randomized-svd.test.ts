import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import { describe, expect, it } from 'vitest';
import { isTnzipError, type Matrix64, matmul64, Rng, randomizedSvd, randomizedSvd64, svd64 } from './index.js';

function lowRank(m: number, n: number, r: number, seed: number): Matrix64 {
  const rng = new Rng(seed);
  return matmul64({ rows: m, cols: r, data: rng.normals(m * r) }, { rows: r, cols: n, data: rng.normals(r * n) });
}

function relErr(a: Matrix64, u: Matrix64, s: Float64Array, v: Matrix64): number {
  const k = s.length;
  const us = new Float64Array(u.data);
  for (let i = 0; i < u.rows; i++)
    for (let j = 0; j < k; j++) us[i * k + j] = (us[i * k + j] as number) * (s[j] as number);
  const rec = matmul64({ rows: u.rows, cols: k, data: us }, v, false, true);
  let e = 0;
  let nn = 0;
  a.data.forEach((x, i) => {
    e += (x - (rec.data[i] as number)) ** 2;
    nn += x * x;
  });
  return Math.sqrt(e / nn);
}

function orthDefect(q: Matrix64): number {
  const g = matmul64(q, q, true, false);
  let d = 0;
  for (let i = 0; i < q.cols; i++)
    for (let j = 0; j < q.cols; j++) d = Math.max(d, Math.abs((g.data[i * q.cols + j] as number) - (i === j ? 1 : 0)));
  return d;
}

describe('randomizedSvd64', () => {
  it('is exact on exactly low-rank matrices (tall and wide)', () => {
    for (const [m, n, r] of [
      [60, 40, 5],
      [30, 80, 3],
    ] as const) {
      const a = lowRank(m, n, r, m + n);
      const res = randomizedSvd64(a, r, { seed: 1 });
      expect(relErr(a, res.u, res.s, res.v)).toBeLessThan(1e-12);
      expect(orthDefect(res.u)).toBeLessThan(1e-12);
      expect(orthDefect(res.v)).toBeLessThan(1e-12);
      const exact = svd64(a, { rank: r });
      res.s.forEach((x, j) => {
        expect(x / (exact.s[j] as number)).toBeCloseTo(1, 12);
      });
    }
  });

  it('stays orthonormal when rank + oversample exceeds the true rank (null directions completed)', () => {
    const a = lowRank(40, 30, 2, 5);
    const res = randomizedSvd64(a, 8, { oversample: 10 });
    expect(orthDefect(res.u)).toBeLessThan(1e-10);
    expect(orthDefect(res.v)).toBeLessThan(1e-10);
    for (let j = 2; j < 8; j++) expect(res.s[j]).toBeLessThan(1e-12 * (res.s[0] as number));
  });

  it('is close to the exact truncated SVD on a matrix with a decaying spectrum', () => {
    // a = Q1 diag(0.7^j) Q2ᵀ + noise-free: singular values 1, 0.7, 0.49, …
    const m = 80;
    const n = 50;
    const q1 = svd64({ rows: m, cols: n, data: new Rng(11).normals(m * n) }).u;
    const q2 = svd64({ rows: n, cols: n, data: new Rng(12).normals(n * n) }).u;
    const us = new Float64Array(q1.data);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) us[i * n + j] = (us[i * n + j] as number) * 0.7 ** j;
    const a = matmul64({ rows: m, cols: n, data: us }, q2, false, true);
    const k = 6;
    const exact = svd64(a, { rank: k });
    const approx = randomizedSvd64(a, k, { oversample: 5, powerIters: 2, seed: 3 });
    // With 2 power iterations the range error is ~ (σ_{l+1}/σ_k)^5 = 0.7^25 ≈ 1e-4 relative.
    approx.s.forEach((x, j) => {
      expect(Math.abs(x - (exact.s[j] as number)) / (exact.s[j] as number)).toBeLessThan(1e-3);
    });
    const optimal = relErr(a, exact.u, exact.s, exact.v);
    expect(relErr(a, approx.u, approx.s, approx.v)).toBeLessThan(optimal * 1.01);
  });

  it('gives bit-identical results for the same seed, different ones for another seed', () => {
    const a = { rows: 50, cols: 35, data: new Rng(9).normals(50 * 35) };
    const r1 = randomizedSvd64(a, 4, { seed: 7, powerIters: 0, oversample: 2 });
    const r2 = randomizedSvd64(a, 4, { seed: 7, powerIters: 0, oversample: 2 });
    const r3 = randomizedSvd64(a, 4, { seed: 8, powerIters: 0, oversample: 2 });
    expect(Array.from(r2.u.data)).toEqual(Array.from(r1.u.data));
    expect(Array.from(r2.s)).toEqual(Array.from(r1.s));
    expect(Array.from(r2.v.data)).toEqual(Array.from(r1.v.data));
    expect(Array.from(r3.s)).not.toEqual(Array.from(r1.s));
  });

  it('rejects bad input with the right TnzipError code', () => {
    const a = { rows: 4, cols: 3, data: new Rng(1).normals(12) };
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isTnzipError(e) ? e.code : 'not a TnzipError';
      }
      return undefined;
    };
    expect(code(() => randomizedSvd64(a, 0))).toBe('INVALID_RANK');
    expect(code(() => randomizedSvd64(a, 4))).toBe('INVALID_RANK');
    expect(code(() => randomizedSvd64(a, 1.5))).toBe('INVALID_RANK');
    expect(code(() => randomizedSvd64(a, 2, { oversample: -1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => randomizedSvd64(a, 2, { powerIters: 0.5 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => randomizedSvd64(a, 2, { seed: -3 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => randomizedSvd64({ rows: 1, cols: 2, data: Float64Array.of(1, Number.NaN) }, 1))).toBe(
      'NON_FINITE',
    );
    expect(code(() => randomizedSvd64({ rows: 0, cols: 2, data: new Float64Array(0) }, 1))).toBe('SHAPE_MISMATCH');
  });
});

describeBackends('randomizedSvd (tf tensors)', () => {
  it('recovers a low-rank float32 matrix, is reproducible and leaks nothing', async () => {
    await expectNoLeakAsync(async () => {
      const lr = lowRank(20, 16, 3, 21);
      const a = tf.tensor2d(Float32Array.from(lr.data), [20, 16]);
      const r1 = randomizedSvd(a, 3, { seed: 5 });
      const r2 = randomizedSvd(a, 3, { seed: 5 });
      expect(r1.u.shape).toEqual([20, 3]);
      expect(r1.s.shape).toEqual([3]);
      expect(r1.v.shape).toEqual([16, 3]);
      expect(Array.from(await r1.u.data())).toEqual(Array.from(await r2.u.data()));
      const errT = tf.tidy(() => {
        const rec = tf.matMul(tf.mul(r1.u, r1.s), tf.transpose(r1.v));
        return tf.div(tf.norm(tf.sub(rec, a)), tf.norm(a));
      });
      // The input itself is float32-rounded (rank 3 up to 1e-7); outputs are float32 too.
      expect((await errT.data())[0]).toBeLessThan(1e-5);
      return [a, r1, r2, errT];
    });
  });

  it('rejects a bad rank with TnzipError and leaks nothing', () => {
    expectNoLeak(() => {
      const a = tf.tensor2d([[1, 2, 3]]);
      let code: string | undefined;
      try {
        randomizedSvd(a, 2);
      } catch (e) {
        code = isTnzipError(e) ? e.code : undefined;
      }
      expect(code).toBe('INVALID_RANK');
      return a;
    });
  });
});
