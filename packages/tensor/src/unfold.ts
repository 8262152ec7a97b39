import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import { type Matrix64, sizeOf, type Tensor64 } from './float64.js';
import { checkMinOrder, checkMode, checkOrder, checkShape, checkTensor } from './validate.js';

/*
 * Unfolding convention (TensorLy's): the mode-n unfolding X_(n) moves axis n to the front and
 * flattens the remaining axes in C (row-major) order, so element (i_0, …, i_{N-1}) lands in
 * row i_n and column Σ_{k≠n} i_k · Π_{l>k, l≠n} I_l. With this order
 * X_(n) = A_n · diag(w) · khatriRao(A_0, …, A_{n-1}, A_{n+1}, …)ᵀ for a CP tensor, and
 * (X ×_n U)_(n) = U · X_(n).
 *
 * NaN/Infinity are not checked by these layout ops (they move data, they do not compute with
 * it, and a check would force a device→host read on every call in training).
 */

/** `[mode, 0, 1, …, mode-1, mode+1, …]`: the permutation that brings `mode` to the front. */
export function modeFirstPerm(order: number, mode: number): number[] {
  const perm = [mode];
  for (let k = 0; k < order; k++) if (k !== mode) perm.push(k);
  return perm;
}

/** The inverse of {@link modeFirstPerm}. */
function modeFirstInversePerm(order: number, mode: number): number[] {
  const perm = modeFirstPerm(order, mode);
  const inv = new Array<number>(order);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

/**
 * Mode-`mode` unfolding of a tfjs tensor (TensorLy convention).
 *
 * @param x tensor of order >= 1, shape `[I_0, …, I_{N-1}]`
 * @param mode axis in `[0, N)`
 * @returns `[I_mode, Π_{k≠mode} I_k]`, a new tensor (transpose + reshape, differentiable)
 */
export function unfold(x: tf.Tensor, mode: number): tf.Tensor2D {
  checkTensor(x, 'x');
  checkMinOrder(x.shape, 1, 'x');
  checkMode(mode, x.rank, 'mode');
  const rows = x.shape[mode] as number;
  return tf.tidy(() => {
    const moved = mode === 0 ? x : tf.transpose(x, modeFirstPerm(x.rank, mode));
    return tf.reshape(moved, [rows, x.size / rows]) as tf.Tensor2D;
  });
}

/**
 * Inverse of {@link unfold}: refolds a mode-`mode` unfolding into a tensor of `shape`.
 *
 * @param m `[shape[mode], Π_{k≠mode} shape[k]]`
 * @returns tensor of `shape` (new, differentiable)
 */
export function fold(m: tf.Tensor2D, mode: number, shape: readonly number[]): tf.Tensor {
  checkTensor(m, 'm');
  checkOrder(m.shape, 2, 'm');
  checkFoldArgs(m.shape[0] as number, m.shape[1] as number, mode, shape);
  return tf.tidy(() => {
    const perm = modeFirstPerm(shape.length, mode);
    const moved = tf.reshape(
      m,
      perm.map((p) => shape[p] as number),
    );
    return mode === 0 ? moved : tf.transpose(moved, modeFirstInversePerm(shape.length, mode));
  });
}

function checkFoldArgs(rows: number, cols: number, mode: number, shape: readonly number[]): void {
  checkMinOrder(shape, 1, 'shape');
  checkShape(shape, 'shape');
  checkMode(mode, shape.length, 'mode');
  const size = sizeOf(shape);
  const dim = shape[mode] as number;
  if (rows !== dim || cols !== size / dim) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `m must have shape [${dim}, ${size / dim}] to fold along mode ${mode} into [${shape.join(', ')}], got [${rows}, ${cols}]`,
    );
  }
}

/** `[A, I, B]` view of `shape` around `mode`: A = Π_{k<mode} I_k, I = I_mode, B = Π_{k>mode} I_k. */
export function splitAt(shape: readonly number[], mode: number): [number, number, number] {
  let a = 1;
  let b = 1;
  for (let k = 0; k < mode; k++) a *= shape[k] as number;
  for (let k = mode + 1; k < shape.length; k++) b *= shape[k] as number;
  return [a, shape[mode] as number, b];
}

/**
 * Float64 mode-`mode` unfolding (same convention as {@link unfold}).
 *
 * With x viewed as `[A, I, B]` around the mode, `X_(n)[i, a·B + b] = x[a, i, b]`: a copy of
 * contiguous runs of length B.
 *
 * @returns `[I_mode, Π_{k≠mode} I_k]`, new storage
 */
export function unfold64(x: Tensor64, mode: number): Matrix64 {
  checkMinOrder(x.shape, 1, 'x');
  checkMode(mode, x.shape.length, 'mode');
  const [A, I, B] = splitAt(x.shape, mode);
  const src = x.data;
  if (A === 1) return { rows: I, cols: B, data: src.slice() };
  const cols = A * B;
  const out = new Float64Array(I * cols);
  for (let a = 0; a < A; a++) {
    for (let i = 0; i < I; i++) {
      const from = (a * I + i) * B;
      out.set(src.subarray(from, from + B), i * cols + a * B);
    }
  }
  return { rows: I, cols, data: out };
}

/**
 * Inverse of {@link unfold64}.
 *
 * @param m `[shape[mode], Π_{k≠mode} shape[k]]`
 * @returns a new {@link Tensor64} of `shape`
 */
export function fold64(m: Matrix64, mode: number, shape: readonly number[]): Tensor64 {
  checkFoldArgs(m.rows, m.cols, mode, shape);
  const [A, I, B] = splitAt(shape, mode);
  if (A === 1) return { shape: [...shape], data: m.data.slice() };
  const src = m.data;
  const cols = A * B;
  const out = new Float64Array(I * cols);
  for (let a = 0; a < A; a++) {
    for (let i = 0; i < I; i++) {
      const from = i * cols + a * B;
      out.set(src.subarray(from, from + B), (a * I + i) * B);
    }
  }
  return { shape: [...shape], data: out };
}
