import * as tf from '@tensorflow/tfjs-core';
import { fastMatMul } from '../ops/fast-matmul.js';

/*
 * The per-pixel ends of the factorized chains: a 1×1 conv run as one matMul on `[N·H·W, C]`
 * (the same maths, and a fast gradient on every backend), and the output bias.
 */

/** NHWC `x` `[N, H, W, C]` through the 1×1 conv `w` `[C, C']` → `[N, H, W, C']`. */
export function pointwiseConv(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  const [n, h, wd] = x.shape as [number, number, number, number];
  const [c, k] = w.shape as [number, number];
  return tf.reshape(fastMatMul(tf.reshape(x, [n * h * wd, c]) as tf.Tensor2D, w as tf.Tensor2D), [n, h, wd, k]);
}

/** `y + bias` (broadcast over the last axis), or `y` itself when there is no bias. */
export function addBias(y: tf.Tensor, bias: tf.Tensor | null): tf.Tensor {
  return bias === null ? y : tf.add(y, bias);
}
