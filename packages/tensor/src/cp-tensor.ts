import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import type { Matrix64, Tensor64 } from './float64.js';
import { khatriRao, khatriRao64 } from './khatri-rao.js';
import { matmul64 } from './matmul64.js';
import { checkRank, checkShape, checkTensor } from './validate.js';

/**
 * A CP (CANDECOMP/PARAFAC) tensor of rank R: `x = Σ_r weights[r] · a_0[:, r] ∘ a_1[:, r] ∘ …`
 * (TensorLy's `CPTensor`).
 *
 * - `weights`: `[R]` (the column norms when produced by `cpAls`);
 * - `factors[n]`: `[shape[n], R]` (unit-norm columns when produced by `cpAls`).
 */
export interface CPTensor {
  weights: tf.Tensor1D;
  factors: tf.Tensor2D[];
}

/** Float64 {@link CPTensor}: `weights` has length R, `factors[n]` is `[shape[n], R]`. */
export interface CP64 {
  weights: Float64Array;
  factors: Matrix64[];
}

function checkCpShapes(rank: number, factorShapes: readonly (readonly number[])[]): void {
  if (factorShapes.length < 1) throw new TnzipError('INVALID_ARGUMENT', 'factors must hold at least one matrix');
  factorShapes.forEach((s, i) => {
    if (s.length !== 2 || s[1] !== rank) {
      throw new TnzipError(
        'SHAPE_MISMATCH',
        `factors[${i}] must have shape [I, ${rank}] (R = weights length), got [${s.join(', ')}]`,
      );
    }
  });
}

/**
 * Reconstructs a CP tensor with differentiable tfjs ops through its mode-0 unfolding,
 * `x_(0) = A_0 · diag(w) · khatriRao(A_1, …, A_{N-1})ᵀ`.
 *
 * @returns `[factors[0].shape[0], …, factors[N-1].shape[0]]` (new tensor)
 */
export function cpToTensor(cp: CPTensor): tf.Tensor {
  checkTensor(cp.weights, 'weights');
  if (cp.weights.rank !== 1) {
    throw new TnzipError('SHAPE_MISMATCH', `weights must have order 1, got shape [${cp.weights.shape.join(', ')}]`);
  }
  cp.factors.forEach((f, i) => {
    checkTensor(f, `factors[${i}]`);
  });
  const R = cp.weights.shape[0] as number;
  checkCpShapes(
    R,
    cp.factors.map((f) => f.shape),
  );
  const shape = cp.factors.map((f) => f.shape[0] as number);
  return tf.tidy(() => {
    const first = tf.mul(cp.factors[0] as tf.Tensor2D, tf.reshape(cp.weights, [1, R])) as tf.Tensor2D;
    if (cp.factors.length === 1) return tf.sum(first, 1);
    const kr = khatriRao(cp.factors.slice(1));
    return tf.reshape(tf.matMul(first, tf.transpose(kr)), shape);
  });
}

/** Float64 {@link cpToTensor}. */
export function cpToTensor64(cp: CP64): Tensor64 {
  const R = cp.weights.length;
  checkCpShapes(
    R,
    cp.factors.map((f) => [f.rows, f.cols]),
  );
  const shape = cp.factors.map((f) => f.rows);
  const a0 = cp.factors[0] as Matrix64;
  const first = new Float64Array(a0.data.length);
  for (let i = 0; i < a0.rows; i++)
    for (let r = 0; r < R; r++) first[i * R + r] = (a0.data[i * R + r] as number) * (cp.weights[r] as number);
  const firstM = { rows: a0.rows, cols: R, data: first };
  if (cp.factors.length === 1) {
    const out = new Float64Array(a0.rows);
    for (let i = 0; i < a0.rows; i++)
      for (let r = 0; r < R; r++) out[i] = (out[i] as number) + (first[i * R + r] as number);
    return { shape, data: out };
  }
  return { shape, data: matmul64(firstM, khatriRao64(cp.factors.slice(1)), false, true).data };
}

/**
 * Parameters of a rank-R CP tensor of `shape`: `R · Σ_n shape[n]`. The R weights are not
 * counted: they fold into any one factor, as a factorized layer stores them.
 */
export function cpParams(shape: readonly number[], rank: number): number {
  checkShape(shape, 'shape');
  checkRank(rank, Number.MAX_SAFE_INTEGER, 'rank');
  return rank * shape.reduce((a, b) => a + b, 0);
}
