import * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from './errors.js';
import { checkFinite, checkShape, checkTensor } from './validate.js';

/**
 * A dense float64 tensor in row-major (C) order: `data[i0*s0 + i1*s1 + …]` with the last
 * axis fastest. tfjs stores float32 only, so every decomposition runs on this type and
 * converts at the boundary.
 */
export interface Tensor64 {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** A float64 matrix, row-major: element (i, j) is `data[i * cols + j]`. */
export interface Matrix64 {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** Number of elements of a shape (1 for the empty shape). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Builds a {@link Tensor64}, checking that `data.length` matches `shape`. */
export function tensor64(data: Float64Array, shape: readonly number[]): Tensor64 {
  checkShape(shape, 'shape');
  if (data.length !== sizeOf(shape)) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `data has ${data.length} elements but shape [${shape.join(', ')}] needs ${sizeOf(shape)}`,
    );
  }
  return { shape: [...shape], data };
}

/** Builds a {@link Matrix64}, checking that `data.length === rows * cols`. */
export function matrix64(data: Float64Array, rows: number, cols: number): Matrix64 {
  if (data.length !== rows * cols) {
    throw new TnzipError(
      'SHAPE_MISMATCH',
      `data has ${data.length} elements but a ${rows}x${cols} matrix needs ${rows * cols}`,
    );
  }
  return { rows, cols, data };
}

/** Views a 2-D {@link Tensor64} as a {@link Matrix64} (shares `data`). */
export function asMatrix(t: Tensor64, name = 't'): Matrix64 {
  if (t.shape.length !== 2) {
    throw new TnzipError('SHAPE_MISMATCH', `${name} must have order 2, got shape [${t.shape.join(', ')}]`);
  }
  return { rows: t.shape[0] as number, cols: t.shape[1] as number, data: t.data };
}

/**
 * Reads a tfjs tensor into float64, rejecting NaN/Infinity (NON_FINITE) and non-float32 or
 * disposed tensors. Synchronous: it calls `dataSync()`, so on the webgpu backend it waits
 * for the GPU.
 */
export function fromTf(t: tf.Tensor, name: string): Tensor64 {
  checkTensor(t, name);
  const src = t.dataSync() as Float32Array;
  checkFinite(src, name);
  return { shape: [...t.shape], data: Float64Array.from(src) };
}

/** Converts a float64 tensor to a new float32 tfjs tensor (the caller owns it). */
export function toTf<R extends tf.Rank = tf.Rank>(t: Tensor64): tf.Tensor<R> {
  return tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32') as unknown as tf.Tensor<R>;
}

/** Converts a float64 matrix to a new float32 2-D tfjs tensor (the caller owns it). */
export function matrixToTf(m: Matrix64): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols], 'float32');
}
