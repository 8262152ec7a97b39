import * as tf from '@tensorflow/tfjs-core';
import { Matrix as MlMatrix, SingularValueDecomposition } from 'ml-matrix';
import { TnzipError } from './errors.js';
import { asMatrix, fromTf, type Matrix64, matrixToTf } from './float64.js';
import { checkRank } from './validate.js';

/** Thin SVD of a float64 matrix: `a ≈ u · diag(s) · vᵀ`. */
export interface Svd64 {
  /** Left singular vectors, `[rows, k]`, orthonormal columns. */
  readonly u: Matrix64;
  /** Singular values, length k, descending, >= 0. */
  readonly s: Float64Array;
  /** Right singular vectors, `[cols, k]`, orthonormal columns. */
  readonly v: Matrix64;
}

/** Options of {@link svd} / {@link svd64}. */
export interface SvdOptions {
  /** Keep only the leading `rank` triplets, an integer in [1, min(rows, cols)]. Default: all. */
  rank?: number;
}

/**
 * Thin SVD in float64 (TEMPORARY implementation through ml-matrix; replaced by a measured one).
 */
export function svd64(a: Matrix64, options: SvdOptions = {}): Svd64 {
  const kFull = Math.min(a.rows, a.cols);
  const k = options.rank ?? kFull;
  checkRank(k, kFull, 'options.rank');
  const m = new MlMatrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) m.set(i, j, a.data[i * a.cols + j] as number);
  const d = new SingularValueDecomposition(m, { autoTranspose: true });
  const u = new Float64Array(a.rows * k);
  const v = new Float64Array(a.cols * k);
  const s = new Float64Array(k);
  const U = d.leftSingularVectors;
  const V = d.rightSingularVectors;
  const sv = d.diagonal;
  for (let j = 0; j < k; j++) {
    s[j] = sv[j] as number;
    let sign = 0;
    for (let i = 0; i < a.rows && sign === 0; i++) {
      const x = U.get(i, j);
      if (Math.abs(x) > 1e-12) sign = x > 0 ? 1 : -1;
    }
    if (sign === 0) sign = 1;
    for (let i = 0; i < a.rows; i++) u[i * k + j] = sign * U.get(i, j);
    for (let i = 0; i < a.cols; i++) v[i * k + j] = sign * V.get(i, j);
  }
  return { u: { rows: a.rows, cols: k, data: u }, s, v: { rows: a.cols, cols: k, data: v } };
}

/** Thin SVD of a float32 tfjs matrix, computed in float64. Returns new tensors the caller owns. */
export function svd(m: tf.Tensor2D, options: SvdOptions = {}): { u: tf.Tensor2D; s: tf.Tensor1D; v: tf.Tensor2D } {
  const a = asMatrix(fromTf(m, 'm'), 'm');
  if (a.rows < 1 || a.cols < 1) throw new TnzipError('SHAPE_MISMATCH', 'm must not be empty');
  const r = svd64(a, options);
  return { u: matrixToTf(r.u), s: tf.tensor1d(Float32Array.from(r.s)), v: matrixToTf(r.v) };
}

/**
 * The leading `rank` left singular vectors and values of `a` — all that HOSVD and TT-SVD
 * need, which can be computed without forming V.
 *
 * @returns `u`: `[rows, rank]` orthonormal columns; `s`: length `rank`, descending
 */
export function leftSingular64(a: Matrix64, rank: number): { u: Matrix64; s: Float64Array } {
  const r = svd64(a, { rank });
  return { u: r.u, s: r.s };
}
