import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/**
 * Runs `fn`, disposes whatever tensors it returns (found by walking arrays and plain
 * objects), and asserts that `tf.memory().numTensors` is back where it started.
 */
export function expectNoLeak(fn: () => unknown): void {
  const before = tf.memory().numTensors;
  const out = fn();
  disposeDeep(out);
  expect(tf.memory().numTensors).toBe(before);
}

/** Disposes every tensor reachable from `value` through arrays and plain-object fields. */
export function disposeDeep(value: unknown): void {
  if (value instanceof tf.Tensor) {
    value.dispose();
  } else if (Array.isArray(value)) {
    for (const v of value) disposeDeep(v);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) disposeDeep(v);
  }
}

/**
 * Async form of {@link expectNoLeak} for specs that read results back with `await t.data()`
 * (the only read path on the webgpu backend in Node): awaits `fn`, disposes the tensors it
 * resolves to, and asserts that `tf.memory().numTensors` is back where it started.
 */
export async function expectNoLeakAsync(fn: () => Promise<unknown>): Promise<void> {
  const before = tf.memory().numTensors;
  const out = await fn();
  disposeDeep(out);
  expect(tf.memory().numTensors).toBe(before);
}
