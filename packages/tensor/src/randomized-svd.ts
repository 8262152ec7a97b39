import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import { asMatrix, fromTf, type Matrix64, matrixToTf } from './float64.js';
import { orthonormalizeRows } from './internal/orthonormal-rows.js';
import { gemmAccumulate, transpose64 } from './matmul64.js';
import { Rng } from './random.js';
import { type Svd64, svd64 } from './svd.js';
import { checkFinite, checkInt, checkRank } from './validate.js';

/** Options of {@link randomizedSvd} / {@link randomizedSvd64}. */
export interface RandomizedSvdOptions {
  /** Extra sample directions beyond `rank` (integer >= 0, default 10); capped at min(m, n) − rank. */
  oversample?: number;
  /** Power (subspace) iterations, integer >= 0 (default 2). Each sharpens a decaying spectrum. */
  powerIters?: number;
  /** Seed of the Gaussian test matrix, integer in [0, 2^32) (default 0). */
  seed?: number;
}

/**
 * Randomized truncated SVD (Halko, Martinsson & Tropp 2011, Alg. 4.4 + 5.1) in float64:
 *
 *   Ω ~ N(0,1)^{n×l}, l = rank + oversample;  Q = orth(a·Ω);
 *   repeat powerIters times: Q = orth(a·orth(aᵀ·Q))   (re-orthonormalised each half-step);
 *   B = Qᵀ·a (l×n) = Ũ Σ Vᵀ (exact thin SVD, {@link svd64});  U = Q·Ũ.
 *
 * Exact (to rounding) when rank(a) ≤ l; otherwise the error is close to the optimal
 * σ_{rank+1} bound, closer with more power iterations. Costs O(mnl) instead of O(mn·min(m,n)).
 * Deterministic: the same input, rank and seed give bit-identical output. Same sign rule as
 * svd64 (the largest-magnitude entry of each column of u is positive).
 *
 * @param a `[m, n]`, finite, non-empty
 * @param rank integer in [1, min(m, n)]
 * @returns `u` `[m, rank]`, `s` length rank (descending), `v` `[n, rank]`
 * @throws TnzipError SHAPE_MISMATCH, NON_FINITE, INVALID_RANK, INVALID_ARGUMENT (options)
 */
export function randomizedSvd64(a: Matrix64, rank: number, options: RandomizedSvdOptions = {}): Svd64 {
  if (
    !Number.isInteger(a.rows) ||
    !Number.isInteger(a.cols) ||
    a.rows < 1 ||
    a.cols < 1 ||
    a.data.length !== a.rows * a.cols
  ) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `a must be a non-empty matrix with rows*cols elements, got ${a.rows}x${a.cols} (${a.data.length} elements)`,
    );
  }
  checkFinite(a.data, 'a');
  const { rows: m, cols: n } = a;
  const kMax = Math.min(m, n);
  checkRank(rank, kMax, 'rank');
  const oversample = options.oversample ?? 10;
  const powerIters = options.powerIters ?? 2;
  const seed = options.seed ?? 0;
  checkInt(oversample, 'options.oversample', 0);
  checkInt(powerIters, 'options.powerIters', 0);
  checkInt(seed, 'options.seed', 0, 0xffffffff);
  const l = Math.min(kMax, rank + oversample);

  // Samples are kept as ROWS (yᵀ = Ωᵀ·aᵀ) so that orthonormalisation works on contiguous rows.
  const at = transpose64(a).data; // [n, m]
  const omegaT = new Rng(seed).normals(l * n); // Ωᵀ, [l, n]
  let qT = new Float64Array(l * m); // Qᵀ = Ωᵀ·aᵀ, [l, m]
  gemmAccumulate(omegaT, at, qT, l, n, m);
  orthonormalizeRows(qT, l, m);
  for (let it = 0; it < powerIters; it++) {
    const zT = new Float64Array(l * n); // (aᵀQ)ᵀ = Qᵀ·a, [l, n]
    gemmAccumulate(qT, a.data, zT, l, m, n);
    orthonormalizeRows(zT, l, n);
    qT = new Float64Array(l * m); // (a·Z)ᵀ = Zᵀ·aᵀ, [l, m]
    gemmAccumulate(zT, at, qT, l, n, m);
    orthonormalizeRows(qT, l, m);
  }
  const bT = new Float64Array(l * n); // B = Qᵀ·a, [l, n]
  gemmAccumulate(qT, a.data, bT, l, m, n);
  const small = svd64({ rows: l, cols: n, data: bT }, { rank });
  // U = Q·Ũ: [m, l]·[l, rank]; Q is qTᵀ.
  const u = new Float64Array(m * rank);
  gemmAccumulate(transpose64({ rows: l, cols: m, data: qT }).data, small.u.data, u, m, l, rank);
  // Re-apply the sign rule on the final u (Q·Ũ may move the largest entry).
  const v = new Float64Array(small.v.data);
  for (let j = 0; j < rank; j++) {
    let best = 0;
    let bestAbs = -1;
    for (let i = 0; i < m; i++) {
      const x = Math.abs(u[i * rank + j] as number);
      if (x > bestAbs) {
        bestAbs = x;
        best = i;
      }
    }
    if ((u[best * rank + j] as number) < 0) {
      for (let i = 0; i < m; i++) u[i * rank + j] = -(u[i * rank + j] as number);
      for (let i = 0; i < n; i++) v[i * rank + j] = -(v[i * rank + j] as number);
    }
  }
  return { u: { rows: m, cols: rank, data: u }, s: small.s, v: { rows: n, cols: rank, data: v } };
}

/**
 * {@link randomizedSvd64} of a float32 tfjs matrix (computed in float64, returned in float32).
 * Returns new tensors the caller owns; creates no other tensors.
 *
 * @param m `[rows, cols]` float32
 * @returns `u` `[rows, rank]`, `s` `[rank]`, `v` `[cols, rank]`
 *
 * Reads `m` synchronously (`dataSync`). On webgpu that works only for CPU-resident values:
 * `await m.data()` first (tfjs then caches the values), or read with `fromTfAsync` and call
 * {@link randomizedSvd64}.
 */
export function randomizedSvd(
  m: tf.Tensor2D,
  rank: number,
  options: RandomizedSvdOptions = {},
): { u: tf.Tensor2D; s: tf.Tensor1D; v: tf.Tensor2D } {
  const t = fromTf(m, 'm');
  if (t.shape.length !== 2 || (t.shape[0] as number) < 1 || (t.shape[1] as number) < 1) {
    throw new TnzipError('SHAPE_MISMATCH', `m must be a non-empty matrix, got shape [${t.shape.join(', ')}]`);
  }
  const r = randomizedSvd64(asMatrix(t, 'm'), rank, options);
  return { u: matrixToTf(r.u), s: tf.tensor1d(Float32Array.from(r.s)), v: matrixToTf(r.v) };
}
