import * as tf from '@tensorflow/tfjs-core';
import type { Matrix64 } from './float64.js';
import { checkOrder, checkTensor } from './validate.js';

/**
 * Kronecker product of two matrices: `(a ⊗ b)[i·p + k, j·q + l] = a[i, j] · b[k, l]`.
 *
 * A broadcast multiply of `[m, 1, n, 1]` by `[1, p, 1, q]` and a reshape: differentiable and
 * available on every backend.
 *
 * @param a `[m, n]`
 * @param b `[p, q]`
 * @returns `[m·p, n·q]`
 */
export function kron(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  checkTensor(a, 'a');
  checkTensor(b, 'b');
  checkOrder(a.shape, 2, 'a');
  checkOrder(b.shape, 2, 'b');
  const [m, n] = a.shape;
  const [p, q] = b.shape;
  return tf.tidy(() => {
    const prod = tf.mul(tf.reshape(a, [m, 1, n, 1]), tf.reshape(b, [1, p, 1, q]));
    return tf.reshape(prod, [m * p, n * q]) as tf.Tensor2D;
  });
}

/** Float64 {@link kron}: `[m, n] ⊗ [p, q] -> [m·p, n·q]`. */
export function kron64(a: Matrix64, b: Matrix64): Matrix64 {
  const rows = a.rows * b.rows;
  const cols = a.cols * b.cols;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      const aij = a.data[i * a.cols + j] as number;
      for (let k = 0; k < b.rows; k++) {
        const o = (i * b.rows + k) * cols + j * b.cols;
        const bRow = k * b.cols;
        for (let l = 0; l < b.cols; l++) out[o + l] = aij * (b.data[bRow + l] as number);
      }
    }
  }
  return { rows, cols, data: out };
}
