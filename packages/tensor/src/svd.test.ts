import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeak, expectNoLeakAsync } from '@tnzip/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTnzipError, leftSingular64, type Matrix64, matmul64, Rng, type Svd64, svd, svd64 } from './index.js';
import { setWasmKernels } from './internal/wasm-kernels.js';

/** ‖a − u·diag(s)·vᵀ‖_F / ‖a‖_F (0/0 = 0). */
function reconError(a: Matrix64, r: Svd64): number {
  const k = r.s.length;
  const us = new Float64Array(r.u.data);
  for (let i = 0; i < r.u.rows; i++)
    for (let j = 0; j < k; j++) us[i * k + j] = (us[i * k + j] as number) * (r.s[j] as number);
  const rec = matmul64({ rows: r.u.rows, cols: k, data: us }, r.v, false, true);
  let e = 0;
  let n = 0;
  a.data.forEach((x, i) => {
    e += (x - (rec.data[i] as number)) ** 2;
    n += x * x;
  });
  return n === 0 ? Math.sqrt(e) : Math.sqrt(e / n);
}

/** max |qᵀq − I|. */
function orthDefect(q: Matrix64): number {
  const g = matmul64(q, q, true, false);
  let d = 0;
  for (let i = 0; i < q.cols; i++)
    for (let j = 0; j < q.cols; j++) d = Math.max(d, Math.abs((g.data[i * q.cols + j] as number) - (i === j ? 1 : 0)));
  return d;
}

function gaussian(rows: number, cols: number, seed: number): Matrix64 {
  return { rows, cols, data: new Rng(seed).normals(rows * cols) };
}

function expectDescendingNonNegative(s: Float64Array): void {
  for (let j = 0; j < s.length; j++) {
    expect(s[j]).toBeGreaterThanOrEqual(0);
    if (j > 0) expect(s[j]).toBeLessThanOrEqual(s[j - 1] as number);
  }
}

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isTnzipError(caught), `expected TnzipError ${code}, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

// Every case runs on the wasm kernels (GEMM, Gram, eigensolver) and on the JavaScript fallback.
for (const kernels of ['wasm', 'JavaScript'] as const)
  describe(`${kernels} kernels`, () => {
    beforeAll(() => setWasmKernels(kernels === 'wasm'));
    afterAll(() => setWasmKernels(true));

    describe('svd64', () => {
      it('factorises random tall, wide and square matrices to ~1e-13 with orthonormal factors (property)', () => {
        fc.assert(
          fc.property(
            fc.integer({ min: 1, max: 40 }),
            fc.integer({ min: 1, max: 40 }),
            fc.integer({ min: 0, max: 1000 }),
            (m, n, seed) => {
              const a = gaussian(m, n, seed);
              const r = svd64(a);
              const k = Math.min(m, n);
              expect(r.u.rows).toBe(m);
              expect(r.u.cols).toBe(k);
              expect(r.v.rows).toBe(n);
              expect(r.v.cols).toBe(k);
              // Backward-stable bound: a few·k·eps ≈ 1e-14 for k ≤ 40; 1e-12 leaves margin.
              expect(reconError(a, r)).toBeLessThan(1e-12);
              expect(orthDefect(r.u)).toBeLessThan(1e-10);
              expect(orthDefect(r.v)).toBeLessThan(1e-10);
              expectDescendingNonNegative(r.s);
            },
          ),
          { seed: 42, numRuns: 60 },
        );
      });

      it('matches the known singular values of a diagonal-like matrix', () => {
        // a = diag(3, 5, 1) with rows permuted: singular values 5, 3, 1.
        const a: Matrix64 = { rows: 3, cols: 3, data: Float64Array.of(0, 5, 0, 3, 0, 0, 0, 0, -1) };
        const r = svd64(a);
        expect(Array.from(r.s).map((x) => Number(x.toFixed(12)))).toEqual([5, 3, 1]);
      });

      it('fixes signs: the largest-magnitude entry of every u column is positive, and v follows', () => {
        const a = gaussian(12, 9, 3);
        const neg: Matrix64 = { rows: 12, cols: 9, data: a.data.map((x) => -x) };
        const r = svd64(a);
        const rn = svd64(neg);
        for (let j = 0; j < r.u.cols; j++) {
          let best = 0;
          for (let i = 0; i < r.u.rows; i++)
            if (Math.abs(r.u.data[i * 9 + j] as number) > Math.abs(r.u.data[best * 9 + j] as number)) best = i;
          expect(r.u.data[best * 9 + j]).toBeGreaterThan(0);
          // −a has the same u (sign rule) and negated v.
          for (let i = 0; i < 9; i++) expect(rn.v.data[i * 9 + j]).toBeCloseTo(-(r.v.data[i * 9 + j] as number), 10);
        }
      });

      it('is deterministic: the same input gives bit-identical output', () => {
        const a = gaussian(30, 17, 5);
        const r1 = svd64(a);
        const r2 = svd64({ rows: 30, cols: 17, data: Float64Array.from(a.data) });
        expect(Array.from(r2.u.data)).toEqual(Array.from(r1.u.data));
        expect(Array.from(r2.s)).toEqual(Array.from(r1.s));
        expect(Array.from(r2.v.data)).toEqual(Array.from(r1.v.data));
      });

      it('is exact on rank-deficient matrices: outer products and repeated columns', () => {
        const rng = new Rng(7);
        const x = rng.normals(20);
        const y = rng.normals(30);
        const outer: Matrix64 = { rows: 20, cols: 30, data: new Float64Array(600) };
        for (let i = 0; i < 20; i++)
          for (let j = 0; j < 30; j++) outer.data[i * 30 + j] = (x[i] as number) * (y[j] as number);
        const rep = gaussian(25, 10, 8);
        for (let i = 0; i < 25; i++)
          for (let j = 5; j < 10; j++) rep.data[i * 10 + j] = rep.data[i * 10 + j - 5] as number;
        for (const [a, rank] of [
          [outer, 1],
          [rep, 5],
        ] as const) {
          for (const m of [a, transposeOf(a)]) {
            const r = svd64(m);
            expect(reconError(m, r)).toBeLessThan(1e-13);
            expect(orthDefect(r.u)).toBeLessThan(1e-10);
            expect(orthDefect(r.v)).toBeLessThan(1e-10);
            for (let j = rank; j < r.s.length; j++) expect(r.s[j]).toBeLessThan(1e-13 * (r.s[0] as number));
            expect(r.s[rank - 1]).toBeGreaterThan(1e-3 * (r.s[0] as number));
          }
        }
      });

      it('returns s = 0 and orthonormal u, v for the zero matrix', () => {
        for (const [m, n] of [
          [8, 5],
          [5, 8],
          [1, 1],
        ] as const) {
          const r = svd64({ rows: m, cols: n, data: new Float64Array(m * n) });
          expect(Array.from(r.s)).toEqual(new Array(Math.min(m, n)).fill(0));
          expect(orthDefect(r.u)).toBeLessThan(1e-14);
          expect(orthDefect(r.v)).toBeLessThan(1e-14);
        }
      });

      it('keeps accuracy on an ill-conditioned (graded) matrix, where a plain Gram method fails', () => {
        // Columns scaled by 10^(-j/2): condition number ~1e15.
        const a = gaussian(30, 30, 9);
        for (let i = 0; i < 30; i++)
          for (let j = 0; j < 30; j++) a.data[i * 30 + j] = (a.data[i * 30 + j] as number) * 10 ** (-j / 2);
        const r = svd64(a);
        expect(reconError(a, r)).toBeLessThan(1e-13);
        expect(orthDefect(r.u)).toBeLessThan(1e-10);
        expect(orthDefect(r.v)).toBeLessThan(1e-10);
      });

      it('handles values near the overflow range by scaling', () => {
        const a = gaussian(6, 4, 10);
        const big: Matrix64 = { rows: 6, cols: 4, data: a.data.map((x) => x * 1e300) };
        const r = svd64(a);
        const rb = svd64(big);
        rb.s.forEach((x, j) => {
          expect(x / 1e300 / (r.s[j] as number)).toBeCloseTo(1, 12);
        });
      });

      it('truncated rank gives the Eckart–Young optimal error sqrt(Σ discarded σ²) (property)', () => {
        fc.assert(
          fc.property(
            fc.integer({ min: 2, max: 30 }),
            fc.integer({ min: 2, max: 30 }),
            fc.integer({ min: 0, max: 1000 }),
            (m, n, seed) => {
              const a = gaussian(m, n, seed);
              const full = svd64(a);
              const k = 1 + (seed % (Math.min(m, n) - 1 || 1));
              const r = svd64(a, { rank: k });
              expect(r.s.length).toBe(k);
              expect(Array.from(r.s)).toEqual(Array.from(full.s.slice(0, k)));
              let discarded = 0;
              let total = 0;
              full.s.forEach((x, j) => {
                total += x * x;
                if (j >= k) discarded += x * x;
              });
              expect(reconError(a, r)).toBeCloseTo(Math.sqrt(discarded / total), 10);
            },
          ),
          { seed: 43, numRuns: 40 },
        );
      });

      it('rejects bad input with the right TnzipError code', () => {
        const a = gaussian(3, 4, 1);
        expectCode(() => svd64({ rows: 0, cols: 4, data: new Float64Array(0) }), 'SHAPE_MISMATCH');
        expectCode(() => svd64({ rows: 3, cols: 4, data: new Float64Array(11) }), 'SHAPE_MISMATCH');
        expectCode(() => svd64({ rows: 1, cols: 2, data: Float64Array.of(1, Number.NaN) }), 'NON_FINITE');
        expectCode(() => svd64({ rows: 1, cols: 2, data: Float64Array.of(Number.POSITIVE_INFINITY, 1) }), 'NON_FINITE');
        for (const rank of [0, -1, 1.5, 4, Number.NaN]) expectCode(() => svd64(a, { rank }), 'INVALID_RANK');
        expectCode(() => leftSingular64(a, 0), 'INVALID_RANK');
        expectCode(() => leftSingular64(a, 4), 'INVALID_RANK');
        expectCode(() => leftSingular64({ rows: 1, cols: 1, data: Float64Array.of(Number.NaN) }, 1), 'NON_FINITE');
      });
    });

    describe('leftSingular64', () => {
      it('agrees with svd64 on u and s for wide and tall matrices', () => {
        for (const [m, n] of [
          [10, 25],
          [25, 10],
          [12, 12],
        ] as const) {
          const a = gaussian(m, n, m * n);
          const k = Math.min(m, n) - 2;
          const full = svd64(a, { rank: k });
          const left = leftSingular64(a, k);
          expect(left.u.rows).toBe(m);
          expect(left.u.cols).toBe(k);
          expect(orthDefect(left.u)).toBeLessThan(1e-12);
          left.s.forEach((x, j) => {
            expect(x).toBeCloseTo(full.s[j] as number, 10);
          });
          // Same sign rule, so the vectors agree entrywise (gaps of a Gaussian matrix are ≫ eps).
          left.u.data.forEach((x, i) => {
            expect(x).toBeCloseTo(full.u.data[i] as number, 8);
          });
        }
      });
    });

    function transposeOf(a: Matrix64): Matrix64 {
      const out = new Float64Array(a.rows * a.cols);
      for (let i = 0; i < a.rows; i++)
        for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j] as number;
      return { rows: a.cols, cols: a.rows, data: out };
    }
  });

describeBackends('svd (tf tensors)', () => {
  it('reconstructs with float32-orthonormal factors and leaks no tensor (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 0, max: 100 }),
        async (m, n, seed) => {
          await expectNoLeakAsync(async () => {
            const a = tf.tensor2d(Float32Array.from(new Rng(seed).normals(m * n)), [m, n]);
            const r = svd(a);
            const k = Math.min(m, n);
            expect(r.u.shape).toEqual([m, k]);
            expect(r.s.shape).toEqual([k]);
            expect(r.v.shape).toEqual([n, k]);
            const checks = tf.tidy(() => {
              const rec = tf.matMul(tf.mul(r.u, r.s), tf.transpose(r.v));
              const e = tf.div(tf.norm(tf.sub(rec, a)), tf.norm(a));
              const eye = tf.eye(k);
              const ou = tf.max(tf.abs(tf.sub(tf.matMul(tf.transpose(r.u), r.u), eye)));
              const ov = tf.max(tf.abs(tf.sub(tf.matMul(tf.transpose(r.v), r.v), eye)));
              return [e, ou, ov];
            });
            const [err, du, dv] = await Promise.all(checks.map(async (t) => (await t.data())[0]));
            // float32 rounding of the factors and of the float32 matMul: ~k·2^-24.
            expect(err).toBeLessThan(1e-5);
            expect(du).toBeLessThan(1e-5);
            expect(dv).toBeLessThan(1e-5);
            return [a, r, checks];
          });
        },
      ),
      { seed: 44, numRuns: 15 },
    );
  });

  it('honours rank and is deterministic', async () => {
    await expectNoLeakAsync(async () => {
      const a = tf.tensor2d(Float32Array.from(new Rng(3).normals(60)), [6, 10]);
      const r1 = svd(a, { rank: 2 });
      const r2 = svd(a, { rank: 2 });
      expect(r1.u.shape).toEqual([6, 2]);
      expect(Array.from(await r1.u.data())).toEqual(Array.from(await r2.u.data()));
      expect(Array.from(await r1.s.data())).toEqual(Array.from(await r2.s.data()));
      expect(Array.from(await r1.v.data())).toEqual(Array.from(await r2.v.data()));
      return [a, r1, r2];
    });
  });

  it('rejects bad input with TnzipError and leaks nothing', () => {
    expectNoLeak(() => {
      const a = tf.tensor2d([
        [1, 2],
        [3, 4],
      ]);
      const bad = tf.tensor2d([[1, Number.NaN]]);
      const empty = tf.zeros([0, 3]) as tf.Tensor2D;
      const ints = tf.tensor2d([[1, 2]], [1, 2], 'int32');
      expectCode(() => svd(a, { rank: 3 }), 'INVALID_RANK');
      expectCode(() => svd(a, { rank: 0 }), 'INVALID_RANK');
      expectCode(() => svd(a, { rank: 1.5 }), 'INVALID_RANK');
      expectCode(() => svd(bad), 'NON_FINITE');
      expectCode(() => svd(empty), 'SHAPE_MISMATCH');
      expectCode(() => svd(ints), 'INVALID_ARGUMENT');
      return [a, bad, empty, ints];
    });
  });
});
