import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import type { Matrix64 } from './float64.js';
import { checkOrder, checkTensor } from './validate.js';

/**
 * Khatri–Rao (column-wise Kronecker) product of matrices with a common number of columns R:
 * column r of the result is `mats[0][:, r] ⊗ mats[1][:, r] ⊗ …`. Row order is TensorLy's
 * `khatri_rao`: the first matrix's row index varies slowest, so for `[A (I×R), B (J×R)]` row
 * `i·J + j` holds `A[i, :] ∘ B[j, :]`. This matches the column order of {@link unfold}, hence
 * `x_(n) = A_n diag(w) khatriRao(A_k, k ≠ n)ᵀ` for a CP tensor.
 *
 * Broadcast multiplies and reshapes only: differentiable, on every backend.
 *
 * @param mats at least one matrix, each `[I_k, R]`
 * @returns `[Π I_k, R]`
 */
export function khatriRao(mats: readonly tf.Tensor2D[]): tf.Tensor2D {
  const R = checkKhatriRaoShapes(
    mats.map((m, i) => {
      checkTensor(m, `mats[${i}]`);
      checkOrder(m.shape, 2, `mats[${i}]`);
      return [m.shape[0] as number, m.shape[1] as number];
    }),
  );
  return tf.tidy(() => {
    let acc = mats[0] as tf.Tensor2D;
    for (let k = 1; k < mats.length; k++) {
      const next = mats[k] as tf.Tensor2D;
      const rows = (acc.shape[0] as number) * (next.shape[0] as number);
      acc = tf.reshape(tf.mul(tf.expandDims(acc, 1), tf.expandDims(next, 0)), [rows, R]) as tf.Tensor2D;
    }
    return mats.length === 1 ? tf.clone(acc) : acc;
  });
}

/** Validates a list of `[rows, cols]` for a Khatri–Rao product and returns the common R. */
function checkKhatriRaoShapes(shapes: readonly (readonly [number, number])[]): number {
  const first = shapes[0];
  if (first === undefined) throw new TnzipError('INVALID_ARGUMENT', 'mats must hold at least one matrix');
  shapes.forEach(([, cols], i) => {
    if (cols !== first[1]) {
      throw new TnzipError('SHAPE_MISMATCH', `mats[${i}] must have ${first[1]} columns like mats[0], got ${cols}`);
    }
  });
  return first[1];
}

/** Float64 {@link khatriRao}: `[I_k, R]` each -> `[Π I_k, R]`, same row order. */
export function khatriRao64(mats: readonly Matrix64[]): Matrix64 {
  const R = checkKhatriRaoShapes(mats.map((m) => [m.rows, m.cols]));
  let acc = mats[0] as Matrix64;
  let data = acc.data.slice();
  let rows = acc.rows;
  for (let k = 1; k < mats.length; k++) {
    const b = mats[k] as Matrix64;
    const out = new Float64Array(rows * b.rows * R);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < b.rows; j++) {
        const o = (i * b.rows + j) * R;
        for (let r = 0; r < R; r++) out[o + r] = (data[i * R + r] as number) * (b.data[j * R + r] as number);
      }
    }
    data = out;
    rows *= b.rows;
    acc = { rows, cols: R, data };
  }
  return { rows, cols: R, data };
}
