import * as tf from '@tensorflow/tfjs-core';
import { fromTf, sizeOf, type Tensor64, TnzipError } from '@tnzip/tensor';

/* Building and filling the parameters of factorized layers: float64 → tf, seeded init. */

/** Same data, new shape (row-major). */
export function reshape64(x: Tensor64, shape: readonly number[]): Tensor64 {
  if (sizeOf(shape) !== x.data.length) {
    throw new TnzipError('SHAPE_MISMATCH', `cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
  return { shape: [...shape], data: x.data };
}

/** A float64 tensor as a new float32 tf tensor of the given shape (the caller owns it). */
export function tf64(x: Tensor64, shape: readonly number[] = x.shape): tf.Tensor {
  return tf.tensor(Float32Array.from(x.data), [...shape], 'float32');
}

/** A weight read synchronously in float64, reshaped to `dims` (zero-padded up to `Π dims`). */
export function paddedWeight64(weight: tf.Tensor, name: string, dims: readonly number[]): Tensor64 {
  const data = new Float64Array(sizeOf(dims));
  data.set(fromTf(weight, name).data);
  return { shape: [...dims], data };
}

/** Frobenius norm of a float64 array. */
export function norm64(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) ** 2;
  return Math.sqrt(s);
}

/** A seeded normal tensor `N(0, std²)` (float64 draws from {@link Rng}, stored as float32). */
export function seededNormal(shape: readonly number[], std: number, rng: { normal(): number }): tf.Tensor {
  const n = sizeOf(shape);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = std * rng.normal();
  return tf.tensor(data, [...shape], 'float32');
}

/** Shape equality. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Assigns `value` to `v` and disposes `value`. */
export function assignDispose(v: tf.Variable, value: tf.Tensor): void {
  v.assign(value);
  value.dispose();
}

/** Registers-and-disposes: builds a tensor, hands it to `add`, disposes the temporary. */
export function makeParam(add: (t: tf.Tensor) => tf.Variable, make: () => tf.Tensor): tf.Variable {
  const t = tf.tidy(make);
  const v = add(t);
  t.dispose();
  return v;
}

/**
 * The optional zero bias `[length]` of a layer, registered through `add`, or null when `wanted` is
 * false (undefined counts as true, the options' default).
 */
export function optionalBias(
  wanted: boolean | undefined,
  length: number,
  add: (t: tf.Tensor) => tf.Variable,
): tf.Variable | null {
  return (wanted ?? true) ? makeParam(add, () => tf.zeros([length])) : null;
}
