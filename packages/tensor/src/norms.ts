import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import type { Tensor64 } from './float64.js';
import { checkTensor } from './validate.js';

/**
 * Frobenius norm `‖x‖ = sqrt(Σ x²)` of a tensor of any order, as a differentiable scalar.
 * (Its gradient at x = 0 is undefined, as for every norm.)
 */
export function frobeniusNorm(x: tf.Tensor): tf.Scalar {
  checkTensor(x, 'x');
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(x))) as tf.Scalar);
}

/**
 * Relative error `‖x − approx‖ / ‖x‖` (Frobenius norms), differentiable in both arguments.
 * Infinite or NaN when x is zero: the ratio is undefined there.
 *
 * @param approx same shape as x
 */
export function relativeError(x: tf.Tensor, approx: tf.Tensor): tf.Scalar {
  checkTensor(x, 'x');
  checkTensor(approx, 'approx');
  if (x.shape.length !== approx.shape.length || x.shape.some((d, i) => d !== approx.shape[i])) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `approx must have the shape of x [${x.shape.join(', ')}], got [${approx.shape.join(', ')}]`,
    );
  }
  return tf.tidy(
    () => tf.div(tf.sqrt(tf.sum(tf.square(tf.sub(x, approx)))), tf.sqrt(tf.sum(tf.square(x)))) as tf.Scalar,
  );
}

/**
 * Frobenius norm of a float64 tensor, scaled to avoid overflow/underflow of the squares
 * (as LAPACK's dnrm2 does).
 */
export function frobeniusNorm64(x: Tensor64 | { readonly data: Float64Array }): number {
  const d = x.data;
  let scale = 0;
  for (let i = 0; i < d.length; i++) scale = Math.max(scale, Math.abs(d[i] as number));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < d.length; i++) {
    const v = (d[i] as number) / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}

/** Float64 `‖x − approx‖ / ‖x‖`; `approx` must have the same number of elements. */
export function relativeError64(x: Tensor64, approx: Tensor64): number {
  if (x.shape.length !== approx.shape.length || x.shape.some((d, i) => d !== approx.shape[i])) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `approx must have the shape of x [${x.shape.join(', ')}], got [${approx.shape.join(', ')}]`,
    );
  }
  const diff = new Float64Array(x.data.length);
  for (let i = 0; i < diff.length; i++) diff[i] = (x.data[i] as number) - (approx.data[i] as number);
  return frobeniusNorm64({ data: diff }) / frobeniusNorm64(x);
}
