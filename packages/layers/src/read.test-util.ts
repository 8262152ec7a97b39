import type * as tf from '@tensorflow/tfjs-core';

/**
 * Values of `t` read with `await data()` (the read path that works on every backend, webgpu in
 * Node included), then `t` is disposed. For tests.
 */
export async function take(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

/** {@link take} of each tensor, in order. */
export async function takeAll<T extends readonly tf.Tensor[]>(
  ts: T,
): Promise<{ -readonly [K in keyof T]: Float32Array }> {
  return (await Promise.all(ts.map(take))) as { -readonly [K in keyof T]: Float32Array };
}

/** Values of `t` read with `await data()`; `t` stays alive. For tests. */
export async function values(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}
