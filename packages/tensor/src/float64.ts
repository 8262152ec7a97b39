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
 * Reads a tfjs tensor into float64 (same shape, row-major), rejecting NaN/Infinity
 * (NON_FINITE) and non-float32 or disposed tensors (INVALID_ARGUMENT).
 *
 * Synchronous: it calls `dataSync()`. On cpu and wasm that always works. On webgpu in Node
 * a synchronous read of a GPU-resident tensor throws (`OffscreenCanvas is not defined`): it
 * works only while the values are on the CPU, i.e. for a tensor made from JS values and not
 * yet used by a GPU op, or after `await t.data()` (which caches them). On webgpu, use
 * {@link fromTfAsync}, or `await t.data()` first. The same rule holds for every synchronous
 * function of this package that takes a tf tensor and computes in float64 (`svd`, `hosvd`,
 * `hooi`, `cpAls`, `ttSvd`, `ttRound`, `ttMatrix`, `randomizedSvd`).
 */
export function fromTf(t: tf.Tensor, name: string): Tensor64 {
  checkTensor(t, name);
  const src = t.dataSync() as Float32Array;
  checkFinite(src, name);
  return { shape: [...t.shape], data: Float64Array.from(src) };
}

/**
 * Async form of {@link fromTf}, with the same shape contract and checks: reads with
 * `await t.data()`, the read path that works on every backend, webgpu included. Afterwards
 * the values stay cached on the CPU, so a synchronous reader (`fromTf`, `svd(t)`, …) given
 * the same tensor works on webgpu too.
 *
 * @throws TnzipError INVALID_ARGUMENT (not a float32 tensor, or disposed) before reading;
 *   NON_FINITE when a value is NaN or ±Infinity.
 */
export async function fromTfAsync(t: tf.Tensor, name: string): Promise<Tensor64> {
  checkTensor(t, name);
  const src = (await t.data()) as Float32Array;
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
