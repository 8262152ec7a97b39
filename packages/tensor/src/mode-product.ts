import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import type { Matrix64, Tensor64 } from './float64.js';
import { matmul64, transpose64 } from './matmul64.js';
import { fold, splitAt, unfold } from './unfold.js';
import { checkMinOrder, checkMode, checkModes, checkOrder, checkTensor } from './validate.js';

/** Options of {@link modeProduct} and its relatives. */
export interface ModeProductOptions {
  /** Apply `uᵀ` instead of `u` (then `u` is `[I_mode, J]`). Default false. */
  transpose?: boolean;
}

/**
 * Mode-n product `y = x ×_n op(u)`, defined by `y_(n) = op(u) · x_(n)`, i.e.
 * `y[…, j, …] = Σ_i op(u)[j, i] · x[…, i, …]`.
 *
 * Built from transpose + reshape + matMul, so it runs on every backend and is differentiable
 * in both `x` and `u`. When `mode` is the first or last axis no transpose of `x` is needed.
 *
 * @param x tensor of order N >= 1
 * @param u `[J, I_mode]`, or `[I_mode, J]` with `transpose: true`
 * @param mode axis in `[0, N)`
 * @returns shape of x with `shape[mode] = J`
 */
export function modeProduct(x: tf.Tensor, u: tf.Tensor2D, mode: number, options: ModeProductOptions = {}): tf.Tensor {
  checkTensor(x, 'x');
  checkTensor(u, 'u');
  checkMinOrder(x.shape, 1, 'x');
  checkMode(mode, x.rank, 'mode');
  checkOrder(u.shape, 2, 'u');
  const transpose = options.transpose ?? false;
  const I = x.shape[mode] as number;
  const [uIn, J] = transpose ? [u.shape[0], u.shape[1]] : [u.shape[1], u.shape[0]];
  if (uIn !== I) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `u must have ${transpose ? 'shape[0]' : 'shape[1]'} = x.shape[${mode}] = ${I}, got u of shape [${u.shape.join(', ')}]`,
    );
  }
  const outShape = [...x.shape];
  outShape[mode] = J as number;
  return tf.tidy(() => {
    const N = x.rank;
    if (mode === N - 1) {
      // x as [P, I] times op(u)ᵀ, which is u itself when transposed (no transposeB on wasm).
      const right = transpose ? u : tf.transpose(u);
      return tf.reshape(tf.matMul(tf.reshape(x, [x.size / I, I]), right), outShape);
    }
    const left = transpose ? tf.transpose(u) : u;
    if (mode === 0) return tf.reshape(tf.matMul(left, tf.reshape(x, [I, x.size / I])), outShape);
    return fold(tf.matMul(left, unfold(x, mode)) as tf.Tensor2D, mode, outShape);
  });
}

/**
 * Sequence of mode products `x ×_{modes[0]} op(us[0]) ×_{modes[1]} op(us[1]) …` over distinct
 * modes (they commute). Applied in the order that shrinks the tensor most first, the cheapest.
 *
 * @param us one matrix per mode, each as in {@link modeProduct}
 * @param modes distinct axes, `modes.length === us.length`
 */
export function multiModeProduct(
  x: tf.Tensor,
  us: readonly tf.Tensor2D[],
  modes: readonly number[],
  options: ModeProductOptions = {},
): tf.Tensor {
  checkTensor(x, 'x');
  checkMultiArgs(x.shape, us.length, modes);
  const transpose = options.transpose ?? false;
  us.forEach((u, i) => {
    checkTensor(u, `us[${i}]`);
    checkOrder(u.shape, 2, `us[${i}]`);
  });
  const order = shrinkOrder(
    us.map((u) =>
      transpose ? [u.shape[0] as number, u.shape[1] as number] : [u.shape[1] as number, u.shape[0] as number],
    ),
  );
  return tf.tidy(() => {
    let y = x;
    for (const i of order) y = modeProduct(y, us[i] as tf.Tensor2D, modes[i] as number, { transpose });
    return y === x ? tf.clone(x) : y;
  });
}

function checkMultiArgs(shape: readonly number[], count: number, modes: readonly number[]): void {
  checkMinOrder(shape, 1, 'x');
  if (count !== modes.length) {
    throw new TnzipError('SHAPE_MISMATCH', `us and modes must have the same length, got ${count} and ${modes.length}`);
  }
  checkModes(modes, shape.length, 'modes');
}

/** Indices sorted by out/in ratio ascending: the most shrinking product first. */
export function shrinkOrder(inOut: readonly (readonly [number, number])[]): number[] {
  return inOut
    .map(([inDim, outDim], i) => ({ i, r: outDim / inDim }))
    .sort((p, q) => p.r - q.r || p.i - q.i)
    .map((p) => p.i);
}

/**
 * Float64 mode-n product (see {@link modeProduct}). With x viewed as `[A, I, B]` around the
 * mode, each of the A slabs is one `[J, I] · [I, B]` product; for the last mode (B = 1) it
 * is a single `[A, I] · op(u)ᵀ`.
 *
 * @param u `[J, I_mode]`, or `[I_mode, J]` with `transpose: true`
 * @returns a new tensor with `shape[mode] = J`
 */
export function modeProduct64(x: Tensor64, u: Matrix64, mode: number, options: ModeProductOptions = {}): Tensor64 {
  checkMinOrder(x.shape, 1, 'x');
  checkMode(mode, x.shape.length, 'mode');
  const transpose = options.transpose ?? false;
  const [A, I, B] = splitAt(x.shape, mode);
  const [uIn, J] = transpose ? [u.rows, u.cols] : [u.cols, u.rows];
  if (uIn !== I || u.data.length !== u.rows * u.cols) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `u must have ${transpose ? 'rows' : 'cols'} = x.shape[${mode}] = ${I}, got a ${u.rows}x${u.cols} matrix`,
    );
  }
  const shape = [...x.shape];
  shape[mode] = J;
  if (B === 1) {
    const xm = { rows: A, cols: I, data: x.data };
    return { shape, data: matmul64(xm, u, false, !transpose).data };
  }
  const left = transpose ? transpose64(u) : u;
  if (A === 1) return { shape, data: matmul64(left, { rows: I, cols: B, data: x.data }).data };
  const out = new Float64Array(A * J * B);
  for (let a = 0; a < A; a++) {
    const slab = { rows: I, cols: B, data: x.data.subarray(a * I * B, (a + 1) * I * B) };
    out.set(matmul64(left, slab).data, a * J * B);
  }
  return { shape, data: out };
}

/**
 * Float64 {@link multiModeProduct}: products over distinct modes, most shrinking first.
 *
 * @returns a new tensor (a copy of x when `modes` is empty)
 */
export function multiModeProduct64(
  x: Tensor64,
  us: readonly Matrix64[],
  modes: readonly number[],
  options: ModeProductOptions = {},
): Tensor64 {
  checkMultiArgs(x.shape, us.length, modes);
  const transpose = options.transpose ?? false;
  const order = shrinkOrder(us.map((u) => (transpose ? [u.rows, u.cols] : [u.cols, u.rows])));
  let y: Tensor64 = x;
  for (const i of order) y = modeProduct64(y, us[i] as Matrix64, modes[i] as number, { transpose });
  return y === x ? { shape: [...x.shape], data: x.data.slice() } : y;
}
