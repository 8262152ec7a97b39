import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gram64, isTnzipError, type Matrix64, matmul64, Rng, transpose64 } from './index.js';

function naive(a: Matrix64, b: Matrix64): Float64Array {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let p = 0; p < a.cols; p++) s += (a.data[i * a.cols + p] as number) * (b.data[p * b.cols + j] as number);
      out[i * b.cols + j] = s;
    }
  return out;
}

function maxRelDiff(x: Float64Array, y: Float64Array): number {
  let d = 0;
  let scale = 0;
  x.forEach((v, i) => {
    d = Math.max(d, Math.abs(v - (y[i] as number)));
    scale = Math.max(scale, Math.abs(v));
  });
  return scale === 0 ? d : d / scale;
}

describe('matmul64 / gram64 / transpose64', () => {
  // Sizes straddle the 2-row, 4-step unrolling and the 256-wide cache blocks.
  const dim = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 250, max: 300 }));

  it('matches the naive triple loop for every transpose combination (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        dim,
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.boolean(),
        (m, k, n, ta, tb) => {
          const rng = new Rng(m * 1000 + k * 10 + n);
          const a: Matrix64 = { rows: m, cols: k, data: rng.normals(m * k) };
          const b: Matrix64 = { rows: k, cols: n, data: rng.normals(k * n) };
          const expected = naive(a, b);
          const got = matmul64(ta ? transpose64(a) : a, tb ? transpose64(b) : b, ta, tb);
          expect(got.rows).toBe(m);
          expect(got.cols).toBe(n);
          // Different summation order: error ~ k·eps relative to the largest entry.
          expect(maxRelDiff(expected, got.data)).toBeLessThan(1e-12);
        },
      ),
      { seed: 45, numRuns: 50 },
    );
  });

  it('multiplies a larger product across several cache blocks exactly like the naive loop', () => {
    const rng = new Rng(2);
    const a: Matrix64 = { rows: 37, cols: 521, data: rng.normals(37 * 521) };
    const b: Matrix64 = { rows: 521, cols: 263, data: rng.normals(521 * 263) };
    expect(maxRelDiff(naive(a, b), matmul64(a, b).data)).toBeLessThan(1e-12);
  });

  it('gram64 equals a·aᵀ and is exactly symmetric', () => {
    for (const [m, k] of [
      [1, 1],
      [3, 5],
      [9, 300],
      [14, 7],
    ] as const) {
      const a: Matrix64 = { rows: m, cols: k, data: new Rng(m + k).normals(m * k) };
      const g = gram64(a);
      expect(maxRelDiff(naive(a, transpose64(a)), g.data)).toBeLessThan(1e-12);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) expect(g.data[i * m + j]).toBe(g.data[j * m + i]);
    }
  });

  it('transpose64 swaps indices', () => {
    const a: Matrix64 = { rows: 40, cols: 70, data: new Rng(1).normals(2800) };
    const t = transpose64(a);
    expect([t.rows, t.cols]).toEqual([70, 40]);
    for (let i = 0; i < 40; i++) for (let j = 0; j < 70; j++) expect(t.data[j * 40 + i]).toBe(a.data[i * 70 + j]);
  });

  it('rejects mismatched inner dimensions with SHAPE_MISMATCH', () => {
    const a: Matrix64 = { rows: 2, cols: 3, data: new Float64Array(6) };
    let err: unknown;
    try {
      matmul64(a, a);
    } catch (e) {
      err = e;
    }
    expect(isTnzipError(err, 'SHAPE_MISMATCH')).toBe(true);
    expect(matmul64(a, a, false, true).rows).toBe(2);
  });
});
