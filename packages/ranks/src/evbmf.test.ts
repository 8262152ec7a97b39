import { type Matrix64, matmul64, Rng, TnzipError, transpose64 } from '@tnzip/tensor';
import { describe, expect, it } from 'vitest';
import { evbmf, evbmfFromSingularValues, minimizeBounded } from './evbmf.js';
import { singularValues } from './spectra.js';

/** Orthonormal columns `[n, r]` (Gram–Schmidt of seeded Gaussians). */
function orthonormal(n: number, r: number, rng: Rng): Matrix64 {
  const q = new Float64Array(n * r);
  for (let j = 0; j < r; j++) {
    const v = rng.normals(n);
    for (let k = 0; k < j; k++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += (v[i] as number) * (q[i * r + k] as number);
      for (let i = 0; i < n; i++) v[i] = (v[i] as number) - d * (q[i * r + k] as number);
    }
    const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    for (let i = 0; i < n; i++) q[i * r + j] = (v[i] as number) / norm;
  }
  return { rows: n, cols: r, data: q };
}

/**
 * `U·diag(s)·Vᵀ + noise`, rank `r`, noise N(0, σ²). Signal singular values lie in
 * [2, 4]·σ·(√L + √M): twice to four times the largest noise singular value (≈ σ(√L + √M)), above
 * the EVB threshold (≈ 2σ√M for α ≈ 0.5) — the regime where EVBMF provably separates signal.
 */
function lowRankPlusNoise(l: number, m: number, r: number, sigma: number, seed: number): Matrix64 {
  const rng = new Rng(seed);
  const u = orthonormal(l, r, rng);
  const v = orthonormal(m, r, rng);
  const edge = sigma * (Math.sqrt(l) + Math.sqrt(m));
  const us = new Float64Array(l * r);
  for (let i = 0; i < l; i++)
    for (let k = 0; k < r; k++)
      us[i * r + k] = (u.data[i * r + k] as number) * edge * (2 + (2 * k) / Math.max(1, r - 1));
  const y = matmul64({ rows: l, cols: r, data: us }, transpose64(v));
  for (let i = 0; i < y.data.length; i++) y.data[i] = (y.data[i] as number) + sigma * rng.normal();
  return y;
}

describe('evbmf', () => {
  const cases = [
    { l: 20, m: 50, r: 4, sigma: 0.1, seed: 1 },
    { l: 64, m: 64, r: 8, sigma: 1, seed: 2 },
    { l: 100, m: 300, r: 10, sigma: 0.5, seed: 3 },
    { l: 40, m: 30, r: 3, sigma: 0.01, seed: 4 },
    { l: 16, m: 400, r: 2, sigma: 1e-3, seed: 5 },
    { l: 150, m: 75, r: 12, sigma: 2, seed: 6 },
  ];
  for (const c of cases) {
    it(`recovers rank ${c.r} of a ${c.l}x${c.m} matrix at noise σ = ${c.sigma}`, () => {
      const y = lowRankPlusNoise(c.l, c.m, c.r, c.sigma, c.seed);
      const res = evbmf(y);
      expect(res.rank).toBe(c.r);
      // The noise variance estimate is within 25% of the truth (a few thousand noise entries).
      expect(res.sigma2 / (c.sigma * c.sigma)).toBeGreaterThan(0.75);
      expect(res.sigma2 / (c.sigma * c.sigma)).toBeLessThan(1.25);
      // The threshold separates the r-th from the (r+1)-th singular value.
      const s = singularValues(y);
      expect(s[c.r - 1] as number).toBeGreaterThan(res.threshold);
      expect(s[c.r] as number).toBeLessThanOrEqual(res.threshold);
    });
  }

  it('is invariant to transposition and to the scale of the matrix', () => {
    const y = lowRankPlusNoise(30, 60, 5, 0.3, 7);
    const a = evbmf(y);
    const b = evbmf(transpose64(y));
    expect(b.rank).toBe(a.rank);
    expect(b.sigma2).toBeCloseTo(a.sigma2, 12);
    const scaled = { rows: y.rows, cols: y.cols, data: y.data.map((v) => v * 1e-3) };
    const c = evbmf(scaled);
    expect(c.rank).toBe(a.rank);
    // σ² scales by 1e-6; the minimizer's tolerance is relative, so the ratio is exact to ~1e-6.
    expect(c.sigma2 / (a.sigma2 * 1e-6)).toBeCloseTo(1, 5);
  });

  it('finds no signal in pure noise and none in a zero matrix', () => {
    const rng = new Rng(8);
    const n = { rows: 40, cols: 80, data: rng.normals(40 * 80) };
    expect(evbmf(n).rank).toBe(0);
    expect(evbmf({ rows: 3, cols: 4, data: new Float64Array(12) })).toEqual({ rank: 0, sigma2: 0, threshold: 0 });
  });

  it('is deterministic', () => {
    const y = lowRankPlusNoise(25, 35, 3, 0.2, 9);
    expect(evbmf(y)).toEqual(evbmf(y));
  });

  it('rejects malformed input', () => {
    expect(() => evbmfFromSingularValues(new Float64Array(3), 4, 3)).toThrow(TnzipError);
    expect(() => evbmf({ rows: 2, cols: 2, data: Float64Array.from([1, Number.NaN, 0, 1]) })).toThrow(TnzipError);
  });

  it('minimizeBounded finds the minimum of smooth functions in the bracket and at its edge', () => {
    expect(minimizeBounded((x) => (x - 0.3) ** 2, 0, 1, 1e-12)).toBeCloseTo(0.3, 8);
    expect(minimizeBounded((x) => x - Math.log(x), 0.01, 10, 1e-12)).toBeCloseTo(1, 6);
    expect(minimizeBounded((x) => x, 2, 5, 1e-10)).toBeLessThan(2 + 1e-6);
  });
});
