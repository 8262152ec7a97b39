import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import type { Matrix64, Tensor64 } from './float64.js';
import { asMatrix, fromTf, sizeOf, toTf } from './float64.js';
import { permuteData64 } from './permute.js';
import type { TTSvdOptions } from './tt-svd.js';
import { ttSvd64 } from './tt-svd.js';
import { checkCoreChain, checkInternalRanks, ttRankBounds } from './tt-tensor.js';
import { checkFinite, checkMinOrder, checkShape, checkTensor } from './validate.js';

/**
 * A matrix `W` (`M×N`) in TT-matrix format (Novikov et al. 2015, "Tensorizing Neural Networks"):
 * with `M = Π m_k` (rows) and `N = Π n_k` (columns), row index `i ↔ (i_1, …, i_d)` and column
 * index `j ↔ (j_1, …, j_d)` both in C (row-major) order,
 * `W[i, j] = G_1[:, i_1, j_1, :] · G_2[:, i_2, j_2, :] ⋯ G_d[:, i_d, j_d, :]`.
 *
 * Core `k` has shape `[r_{k-1}, m_k, n_k, r_k]`, `r_0 = r_d = 1`. The caller owns the cores.
 */
export interface TTMatrix {
  cores: tf.Tensor4D[];
  rowDims: number[];
  colDims: number[];
}

/** The float64 counterpart of {@link TTMatrix}. */
export interface TTMatrix64 {
  cores: Tensor64[];
  rowDims: number[];
  colDims: number[];
}

/** Ranks for {@link ttMatrix}: the d−1 internal ranks, or an accuracy / cap rule as in TT-SVD. */
export type TTMatrixRanks = readonly number[] | { eps: number; maxRank?: number } | { maxRank: number };

function checkDims(rowDims: readonly number[], colDims: readonly number[]): void {
  if (!Array.isArray(rowDims) || !Array.isArray(colDims)) {
    throw new TnzipError('INVALID_ARGUMENT', 'rowDims and colDims must be arrays of positive integers');
  }
  checkMinOrder(rowDims, 1, 'rowDims');
  checkShape(rowDims, 'rowDims');
  checkShape(colDims, 'colDims');
  if (rowDims.length !== colDims.length) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `rowDims and colDims must have the same length, got ${rowDims.length} ([${rowDims.join(', ')}]) and ${colDims.length} ([${colDims.join(', ')}])`,
    );
  }
}

/**
 * The d−1 internal TT-rank bounds of a TT matrix: those of a TT tensor with modes `m_k·n_k`.
 */
export function ttMatrixRankBounds(rowDims: readonly number[], colDims: readonly number[]): number[] {
  checkDims(rowDims, colDims);
  return ttRankBounds(rowDims.map((m, k) => m * (colDims[k] as number)));
}

/**
 * Number of entries of a TT matrix: `Σ_k r_{k-1}·m_k·n_k·r_k` (`r_0 = r_d = 1`), with `ranks` the
 * d−1 internal ranks, each in `[1, ttMatrixRankBounds(rowDims, colDims)[k]]`.
 */
export function ttMatrixParams(
  rowDims: readonly number[],
  colDims: readonly number[],
  ranks: readonly number[],
): number {
  checkInternalRanks(ranks, ttMatrixRankBounds(rowDims, colDims));
  const full = [1, ...ranks, 1];
  let total = 0;
  rowDims.forEach((m, k) => {
    total += (full[k] as number) * m * (colDims[k] as number) * (full[k + 1] as number);
  });
  return total;
}

function toSvdOptions(ranks: TTMatrixRanks): TTSvdOptions {
  return Array.isArray(ranks) ? { ranks } : (ranks as TTSvdOptions);
}

/**
 * TT-matrix decomposition of a float64 matrix: `W` (`[M, N]`) is viewed as the tensor
 * `[m_1, …, m_d, n_1, …, n_d]`, permuted to `[m_1, n_1, …, m_d, n_d]`, merged to
 * `[m_1·n_1, …, m_d·n_d]` and TT-SVD'd ({@link ttSvd64}); each core `[r, m_k·n_k, r']` is then
 * split into `[r, m_k, n_k, r']`. The TT-SVD guarantees carry over: with `{ eps }`,
 * ‖W − TTM‖_F ≤ eps·‖W‖_F.
 *
 * @param m the matrix, `M = Π rowDims` rows, `N = Π colDims` columns
 * @param ranks d−1 internal ranks (each in `[1, ttMatrixRankBounds(...)[k]]`) or `{ eps, maxRank? }` / `{ maxRank }`
 */
export function ttMatrix64(
  m: Matrix64,
  rowDims: readonly number[],
  colDims: readonly number[],
  ranks: TTMatrixRanks,
): TTMatrix64 {
  checkDims(rowDims, colDims);
  const M = sizeOf(rowDims);
  const N = sizeOf(colDims);
  if (m.rows !== M || m.cols !== N) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `m is ${m.rows}x${m.cols} but rowDims [${rowDims.join(', ')}] give ${M} rows and colDims [${colDims.join(', ')}] give ${N} columns`,
    );
  }
  if (m.data.length !== M * N) {
    throw new TnzipError('SHAPE_MISMATCH', `m.data has ${m.data.length} elements, expected ${M * N}`);
  }
  checkFinite(m.data, 'm');
  const d = rowDims.length;
  const perm: number[] = [];
  for (let k = 0; k < d; k++) perm.push(k, d + k);
  const merged = rowDims.map((r, k) => r * (colDims[k] as number));
  const permuted = permuteData64(m.data, [...rowDims, ...colDims], perm);
  const tt = ttSvd64({ shape: merged, data: permuted }, toSvdOptions(ranks));
  return {
    cores: tt.cores.map((c, k) => ({
      shape: [c.shape[0] as number, rowDims[k] as number, colDims[k] as number, c.shape[2] as number],
      data: c.data,
    })),
    rowDims: [...rowDims],
    colDims: [...colDims],
  };
}

/**
 * TT-matrix decomposition of a float32 tfjs matrix, computed in float64 ({@link ttMatrix64}).
 * Returns new cores `[r_{k-1}, m_k, n_k, r_k]` the caller owns.
 *
 * Reads `m` synchronously (`dataSync`). On webgpu that works only for CPU-resident values:
 * `await m.data()` first (tfjs then caches the values), or read with `fromTfAsync` and call
 * {@link ttMatrix64}.
 */
export function ttMatrix(
  m: tf.Tensor2D,
  rowDims: readonly number[],
  colDims: readonly number[],
  ranks: TTMatrixRanks,
): TTMatrix {
  const a = asMatrix(fromTf(m, 'm'), 'm');
  const ttm = ttMatrix64(a, rowDims, colDims, ranks);
  return { cores: ttm.cores.map((c) => toTf<tf.Rank.R4>(c)), rowDims: ttm.rowDims, colDims: ttm.colDims };
}

function checkTTMatrixShapes(
  shapes: readonly (readonly number[])[],
  rowDims: readonly number[],
  colDims: readonly number[],
  name: string,
): void {
  checkDims(rowDims, colDims);
  checkCoreChain(shapes, 4, name);
  if (shapes.length !== rowDims.length) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `${name} has ${shapes.length} cores but rowDims has ${rowDims.length} entries`,
    );
  }
  shapes.forEach((s, k) => {
    if (s[1] !== rowDims[k] || s[2] !== colDims[k]) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `${name}.cores[${k}] has shape [${s.join(', ')}] but rowDims[${k}] = ${rowDims[k]} and colDims[${k}] = ${colDims[k]}`,
      );
    }
  });
}

/**
 * Contracts a TT matrix to the dense `[M, N]` matrix with tfjs ops only (reshape, matMul and a
 * 5-D transpose per core), so it is differentiable with respect to the cores. The running
 * product is kept as `[Π_{i<k} m_i, Π_{i<k} n_i, r_k]`, so no order-2d tensor is ever formed.
 * Does not read data back (NaN propagates). Returns a new tensor the caller owns.
 */
export function ttMatrixToMatrix(ttm: TTMatrix): tf.Tensor2D {
  if (ttm === null || typeof ttm !== 'object' || !Array.isArray(ttm.cores)) {
    throw new TnzipError('INVALID_ARGUMENT', 'ttm must be a TTMatrix { cores, rowDims, colDims }');
  }
  ttm.cores.forEach((c, k) => {
    checkTensor(c, `ttm.cores[${k}]`);
  });
  checkTTMatrixShapes(
    ttm.cores.map((c) => c.shape),
    ttm.rowDims,
    ttm.colDims,
    'ttm',
  );
  return tf.tidy(() => {
    const first = ttm.cores[0] as tf.Tensor4D;
    let rows = first.shape[1];
    let cols = first.shape[2];
    let acc: tf.Tensor3D = tf.reshape(first, [rows, cols, first.shape[3]]);
    for (let k = 1; k < ttm.cores.length; k++) {
      const g = ttm.cores[k] as tf.Tensor4D;
      const [r0, m, n, r1] = g.shape;
      const prod = tf.matMul(tf.reshape(acc, [rows * cols, r0]), tf.reshape(g, [r0, m * n * r1]));
      const t = tf.transpose(tf.reshape(prod, [rows, cols, m, n, r1]), [0, 2, 1, 3, 4]);
      rows *= m;
      cols *= n;
      acc = tf.reshape(t, [rows, cols, r1]);
    }
    return tf.reshape(acc, [rows, cols]);
  });
}

/** Float64 {@link ttMatrixToMatrix}: the dense `[M, N]` matrix of a {@link TTMatrix64}. */
export function ttMatrixToMatrix64(ttm: TTMatrix64): Matrix64 {
  if (ttm === null || typeof ttm !== 'object' || !Array.isArray(ttm.cores)) {
    throw new TnzipError('INVALID_ARGUMENT', 'ttm must be a TTMatrix64 { cores, rowDims, colDims }');
  }
  checkTTMatrixShapes(
    ttm.cores.map((c) => c.shape),
    ttm.rowDims,
    ttm.colDims,
    'ttm',
  );
  ttm.cores.forEach((c, k) => {
    if (!(c.data instanceof Float64Array) || c.data.length !== sizeOf(c.shape)) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `ttm.cores[${k}].data must be a Float64Array of ${sizeOf(c.shape)} elements`,
      );
    }
    checkFinite(c.data, `ttm.cores[${k}]`);
  });
  const d = ttm.cores.length;
  // Contract as a TT tensor over merged modes (m_k·n_k), then undo the interleaving permutation.
  const merged = ttm.rowDims.map((r, k) => r * (ttm.colDims[k] as number));
  let acc: Float64Array = Float64Array.from((ttm.cores[0] as Tensor64).data);
  let lead = merged[0] as number;
  for (let k = 1; k < d; k++) {
    const g = ttm.cores[k] as Tensor64;
    const r0 = g.shape[0] as number;
    const rest = (merged[k] as number) * (g.shape[3] as number);
    const out = new Float64Array(lead * rest);
    for (let i = 0; i < lead; i++) {
      for (let p = 0; p < r0; p++) {
        const a = acc[i * r0 + p] as number;
        if (a === 0) continue;
        for (let j = 0; j < rest; j++)
          out[i * rest + j] = (out[i * rest + j] as number) + a * (g.data[p * rest + j] as number);
      }
    }
    acc = out;
    lead *= merged[k] as number;
  }
  const interleaved: number[] = [];
  for (let k = 0; k < d; k++) interleaved.push(ttm.rowDims[k] as number, ttm.colDims[k] as number);
  const perm: number[] = [];
  for (let k = 0; k < d; k++) perm.push(2 * k);
  for (let k = 0; k < d; k++) perm.push(2 * k + 1);
  return { rows: sizeOf(ttm.rowDims), cols: sizeOf(ttm.colDims), data: permuteData64(acc, interleaved, perm) };
}
