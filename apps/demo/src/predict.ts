import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@tnzip/layers';
import { IMAGE_SIZE } from './preprocess.js';

/** One batch's outputs: `logits` and `probs` are `[n, classes]` row-major; `top1[i]` = argmax of row i. */
export interface Prediction {
  readonly n: number;
  readonly classes: number;
  readonly logits: Float32Array;
  readonly probs: Float32Array;
  readonly top1: Int32Array;
}

/**
 * Runs `model` (inference mode) on `n` normalized images, `x` of length `n·784` viewed as
 * `[n, 28, 28, 1]`. Class probabilities are softmax(logits); the top-1 class is the argmax of the
 * logits (the first maximum), the same rule the Node check uses, so ties cannot differ by rounding
 * in the softmax. Reads back with `await data()` (non-blocking on WebGPU); no tensor is left behind.
 */
export async function predict(model: Module, x: Float32Array, n: number): Promise<Prediction> {
  if (x.length !== n * IMAGE_SIZE) throw new RangeError(`predict: x must hold ${n}·784 values, got ${x.length}`);
  const [logitsT, probsT] = tf.tidy(() => {
    const logits = model.apply(tf.tensor4d(x, [n, 28, 28, 1]), { training: false });
    return [logits, tf.softmax(logits)];
  });
  try {
    const classes = logitsT.shape[1] ?? 0;
    const [logits, probs] = (await Promise.all([logitsT.data(), probsT.data()])) as [Float32Array, Float32Array];
    return { n, classes, logits, probs, top1: argmaxRows(logits, n, classes) };
  } finally {
    tf.dispose([logitsT, probsT]);
  }
}

/**
 * Examples per batch when the page scores many images (the 100 samples): larger batches crashed
 * chromium's GPU process on SwiftShader's WebGPU. Node's reference evaluation uses the same batches.
 */
export const EVAL_BATCH = 10;

/**
 * Top-1 class of each of `n` normalized images in `x` (`n·784` values), predicted in batches of
 * {@link EVAL_BATCH}.
 */
export async function predictTop1(model: Module, x: Float32Array, n: number): Promise<Int32Array> {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i += EVAL_BATCH) {
    const m = Math.min(EVAL_BATCH, n - i);
    const p = await predict(model, x.subarray(i * IMAGE_SIZE, (i + m) * IMAGE_SIZE), m);
    out.set(p.top1, i);
  }
  return out;
}

/** Index of the first maximum of each row of a row-major `[n, classes]` array. */
export function argmaxRows(values: Float32Array, n: number, classes: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if ((values[i * classes + c] as number) > (values[i * classes + best] as number)) best = c;
    out[i] = best;
  }
  return out;
}
