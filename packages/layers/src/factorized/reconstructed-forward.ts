import * as tf from '@tensorflow/tfjs-core';
import { cachedDerived } from '../layers/fusion.js';
import type { Module } from '../module.js';
import { fastConv2d } from '../ops/fast-conv2d.js';
import { fastMatMul } from '../ops/fast-matmul.js';
import { type ConvGeometry, explicitPadding } from './geometry.js';

/*
 * The 'reconstructed' execution of the factorized layers. While no gradient is recorded the
 * rebuilt kernel is cached (rebuilt only when a factor is assigned) and run with its bias as one
 * fused kernel, so this execution costs what the dense layer costs; under a gradient tape the
 * kernel is rebuilt each call, which keeps the factors trainable.
 */

function sourcesOf(owner: Module): tf.Tensor[] {
  return [...owner.namedParameters()].map(([, v]) => v);
}

/** `x` `[N, H, W, S]` through the conv whose kernel `kernel()` rebuilds, plus `bias`. */
export function reconstructedConv(
  owner: Module,
  x: tf.Tensor4D,
  kernel: () => tf.Tensor4D,
  g: ConvGeometry,
  bias: tf.Tensor | null,
): tf.Tensor {
  const stridedAndDilated = (g.stride[0] > 1 || g.stride[1] > 1) && (g.dilation[0] > 1 || g.dilation[1] > 1);
  if (tf.engine().state.gradientDepth > 0 || stridedAndDilated) {
    const y = fastConv2d(x, kernel(), { stride: g.stride, padding: g.padding, dilation: g.dilation });
    return bias === null ? y : tf.add(y, bias);
  }
  const { weight } = cachedDerived(owner, sourcesOf(owner), kernel, bias);
  const [[t, b], [l, r]] = explicitPadding(g.padding, x.shape[1], x.shape[2], g);
  return tf.fused.conv2d({
    x,
    filter: weight as tf.Tensor4D,
    strides: [g.stride[0], g.stride[1]],
    pad: [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ],
    dilations: [g.dilation[0], g.dilation[1]],
    ...(bias === null ? {} : { bias }),
  });
}

/** `x` `[N, S]` times the `[S, T]` weight `weight()` rebuilds, plus `bias`. */
export function reconstructedLinear(
  owner: Module,
  x: tf.Tensor2D,
  weight: () => tf.Tensor2D,
  bias: tf.Tensor | null,
): tf.Tensor {
  if (tf.engine().state.gradientDepth > 0) {
    const y = fastMatMul(x, weight());
    return bias === null ? y : tf.add(y, bias);
  }
  const w = cachedDerived(owner, sourcesOf(owner), weight, bias).weight as tf.Tensor2D;
  return tf.fused.matMul({ a: x, b: w, ...(bias === null ? {} : { bias }) });
}
