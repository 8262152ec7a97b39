import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import type { Tensor64 } from './float64.js';
import { sizeOf } from './float64.js';
import { matmul64 } from './matmul64.js';
import { checkFinite, checkMinOrder, checkRank, checkShape, checkTensor } from './validate.js';

/**
 * A tensor in Tensor-Train format (Oseledets 2011):
 * `X[i_1, …, i_d] = G_1[:, i_1, :] · G_2[:, i_2, :] ⋯ G_d[:, i_d, :]`.
 *
 * Core `k` has shape `[r_{k-1}, n_k, r_k]` with the boundary ranks `r_0 = r_d = 1`.
 * The caller owns the core tensors (dispose them, e.g. with `tf.dispose(tt.cores)`).
 */
export interface TTTensor {
  cores: tf.Tensor3D[];
}

/** The float64 counterpart of {@link TTTensor}: core `k` is a `Tensor64` of shape `[r_{k-1}, n_k, r_k]`. */
export interface TT64 {
  cores: Tensor64[];
}

/** Anything with a chain of cores whose shapes we can read (tf or float64). */
interface CoreChain {
  readonly cores: readonly { readonly shape: readonly number[] }[];
}

/**
 * Checks that `shapes` form a valid TT chain of cores of order `coreOrder` (3 for a TT tensor,
 * 4 for a TT matrix): positive integer dims, first rank 1, last rank 1, neighbouring ranks equal.
 * Returns the full rank list `[1, r_1, …, r_{d-1}, 1]`. Internal to the package.
 */
export function checkCoreChain(shapes: readonly (readonly number[])[], coreOrder: number, name: string): number[] {
  if (!Array.isArray(shapes) || shapes.length === 0) {
    throw new TnzipError('SHAPE_MISMATCH', `${name}.cores must be a non-empty array of cores`);
  }
  const ranks = [1];
  shapes.forEach((s, k) => {
    if (s.length !== coreOrder) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `${name}.cores[${k}] must have order ${coreOrder}, got shape [${s.join(', ')}]`,
      );
    }
    checkShape(s, `${name}.cores[${k}]`);
    const left = s[0] as number;
    if (left !== ranks[k]) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `${name}.cores[${k}] has left rank ${left} but ${k === 0 ? 'the first rank must be 1' : `cores[${k - 1}] has right rank ${ranks[k]}`}`,
      );
    }
    ranks.push(s[coreOrder - 1] as number);
  });
  if (ranks[ranks.length - 1] !== 1) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `${name}.cores[${shapes.length - 1}] must have right rank 1, got ${ranks[ranks.length - 1]}`,
    );
  }
  return ranks;
}

/** Validates a {@link TT64}: chain shapes, data lengths, finite entries. Returns the mode sizes. */
export function checkTT64(tt: TT64, name: string): number[] {
  if (tt === null || typeof tt !== 'object' || !Array.isArray(tt.cores)) {
    throw new TnzipError('INVALID_ARGUMENT', `${name} must be an object with a cores array`);
  }
  checkCoreChain(
    tt.cores.map((c) => c.shape),
    3,
    name,
  );
  tt.cores.forEach((c, k) => {
    if (!(c.data instanceof Float64Array) || c.data.length !== sizeOf(c.shape)) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `${name}.cores[${k}].data must be a Float64Array of ${sizeOf(c.shape)} elements`,
      );
    }
    checkFinite(c.data, `${name}.cores[${k}]`);
  });
  return tt.cores.map((c) => c.shape[1] as number);
}

function checkTTTf(tt: TTTensor, name: string): number[] {
  if (tt === null || typeof tt !== 'object' || !Array.isArray(tt.cores)) {
    throw new TnzipError('INVALID_ARGUMENT', `${name} must be an object with a cores array`);
  }
  tt.cores.forEach((c, k) => {
    checkTensor(c, `${name}.cores[${k}]`);
  });
  checkCoreChain(
    tt.cores.map((c) => c.shape),
    3,
    name,
  );
  return tt.cores.map((c) => c.shape[1] as number);
}

/**
 * Contracts a TT tensor back to a dense tensor of shape `[n_1, …, n_d]`, with tfjs ops only
 * (reshape + matMul, one core at a time), so it is differentiable with respect to the cores:
 * TT layers call it in their forward pass. The result is a new tensor the caller owns.
 *
 * Cost: Σ_k (Π_{i<k} n_i)·r_{k-1}·n_k·r_k multiply-adds. Does not read the data back from the
 * backend, so NaN in the cores propagates instead of throwing (it runs every training step).
 */
export function ttToTensor(tt: TTTensor): tf.Tensor {
  const dims = checkTTTf(tt, 'tt');
  return tf.tidy(() => {
    const first = tt.cores[0] as tf.Tensor3D;
    let acc: tf.Tensor2D = tf.reshape(first, [dims[0] as number, first.shape[2]]);
    for (let k = 1; k < dims.length; k++) {
      const g = tt.cores[k] as tf.Tensor3D;
      const [r0, n, r1] = g.shape;
      const prod = tf.matMul(acc, tf.reshape(g, [r0, n * r1]));
      acc = tf.reshape(prod, [acc.shape[0] * n, r1]);
    }
    return tf.reshape(acc, dims);
  });
}

/** Float64 {@link ttToTensor}: the dense `[n_1, …, n_d]` tensor of a {@link TT64}. */
export function ttToTensor64(tt: TT64): Tensor64 {
  const dims = checkTT64(tt, 'tt');
  const first = tt.cores[0] as Tensor64;
  let acc = { rows: dims[0] as number, cols: first.shape[2] as number, data: first.data };
  for (let k = 1; k < dims.length; k++) {
    const g = tt.cores[k] as Tensor64;
    const [r0, n, r1] = g.shape as [number, number, number];
    const prod = matmul64(acc, { rows: r0, cols: n * r1, data: g.data });
    acc = { rows: acc.rows * n, cols: r1, data: prod.data };
  }
  return { shape: dims, data: acc.data === first.data ? Float64Array.from(acc.data) : acc.data };
}

/**
 * The TT ranks `[1, r_1, …, r_{d-1}, 1]` (length d + 1, boundary ones included) read from the
 * core shapes of a {@link TTTensor} or {@link TT64}.
 */
export function ttRanks(tt: TTTensor | TT64): number[] {
  return checkCoreChain(
    (tt as CoreChain).cores.map((c) => c.shape),
    3,
    'tt',
  );
}

/**
 * The d−1 internal TT-rank bounds of a tensor with mode sizes `dims`:
 * `r_k ≤ min(Π_{i≤k} n_i, Π_{i>k} n_i)` (the ranks of the sequential unfoldings), k = 1..d−1.
 * Empty for d = 1.
 */
export function ttRankBounds(dims: readonly number[]): number[] {
  checkMinOrder(dims, 1, 'dims');
  checkShape(dims, 'dims');
  const total = sizeOf(dims);
  const bounds: number[] = [];
  let left = 1;
  for (let k = 0; k < dims.length - 1; k++) {
    left *= dims[k] as number;
    bounds.push(Math.min(left, total / left));
  }
  return bounds;
}

/** Validates `ranks` (the d−1 internal ranks) against `bounds`; INVALID_RANK otherwise. */
export function checkInternalRanks(ranks: readonly number[], bounds: readonly number[], name = 'ranks'): void {
  if (!Array.isArray(ranks) || ranks.length !== bounds.length) {
    throw new TnzipError(
      'INVALID_RANK',
      `${name} must list the ${bounds.length} internal TT ranks (order − 1), got ${Array.isArray(ranks) ? `${ranks.length}` : String(ranks)}`,
    );
  }
  ranks.forEach((r, k) => {
    checkRank(r, bounds[k] as number, `${name}[${k}]`);
  });
}

/**
 * Number of entries of a TT tensor with mode sizes `dims` and internal ranks `ranks`
 * (length d−1, each in [1, bound_k]): `Σ_k r_{k-1}·n_k·r_k` with `r_0 = r_d = 1`.
 */
export function ttParams(dims: readonly number[], ranks: readonly number[]): number {
  const bounds = ttRankBounds(dims);
  checkInternalRanks(ranks, bounds);
  const full = [1, ...ranks, 1];
  let total = 0;
  dims.forEach((n, k) => {
    total += (full[k] as number) * n * (full[k + 1] as number);
  });
  return total;
}
