import * as tf from '@tensorflow/tfjs-core';
import { cachedDerived } from '../layers/fusion.js';
import type { Module } from '../module.js';
import { fastConv2d } from '../ops/fast-conv2d.js';
import { fastMatMul } from '../ops/fast-matmul.js';
import { type ConvGeometry, explicitPadding } from './geometry.js';
import { addBias } from './pointwise.js';

/*
 * The 'reconstructed' execution of the factorized layers. While no gradient is recorded the
 * rebuilt kernel is cached (rebuilt only when a factor is assigned) and run with its bias as one
 * fused kernel, so this execution costs what the dense layer costs; under a gradient tape the
 * kernel is rebuilt each call, which keeps the factors trainable.
 */

function sourcesOf(owner: Module): tf.Tensor[] {
  return [...owner.namedParameters()].map(([, v]) => v);
}

/** What runs after the bias: nothing, or a ReLU fused into the kernel (a `Fusible` epilogue). */
export type FusedActivation = 'linear' | 'relu';

function activate(y: tf.Tensor, activation: FusedActivation): tf.Tensor {
  return activation === 'relu' ? tf.relu(y) : y;
}

/** `x` `[N, H, W, S]` through the conv whose kernel `kernel()` rebuilds, plus `bias`, then `activation`. */
export function reconstructedConv(
  owner: Module,
  x: tf.Tensor4D,
  kernel: () => tf.Tensor4D,
  g: ConvGeometry,
  bias: tf.Tensor | null,
  activation: FusedActivation = 'linear',
): tf.Tensor {
  const stridedAndDilated = (g.stride[0] > 1 || g.stride[1] > 1) && (g.dilation[0] > 1 || g.dilation[1] > 1);
  if (tf.engine().state.gradientDepth > 0 || stridedAndDilated) {
    const y = fastConv2d(x, kernel(), { stride: g.stride, padding: g.padding, dilation: g.dilation });
    return activate(addBias(y, bias), activation);
  }
  const { weight } = cachedDerived(owner, sourcesOf(owner), kernel, bias);
  return fusedConvExplicit(x, weight as tf.Tensor4D, g, bias, activation);
}

/**
 * `x` `[N, H, W, S]` through `filter` with `g`'s geometry, `bias` and `activation` as one
 * `tf.fused.conv2d` kernel, the padding made explicit. Not for stride and dilation both > 1.
 */
export function fusedConvExplicit(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
  bias: tf.Tensor | null,
  activation: FusedActivation,
): tf.Tensor {
  const [[t, b], [l, r]] = explicitPadding(g.padding, x.shape[1], x.shape[2], g);
  return tf.fused.conv2d({
    x,
    filter,
    strides: [g.stride[0], g.stride[1]],
    pad: [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ],
    dilations: [g.dilation[0], g.dilation[1]],
    ...(bias === null ? {} : { bias }),
    activation,
  });
}

/** The parts of a factorized conv its reconstructed execution reads. */
export interface ReconstructableConv extends Module {
  readonly inChannels: number;
  readonly geometry: ConvGeometry;
  readonly bias: tf.Tensor | null;
  kernel(): tf.Tensor4D;
  effectiveMode(inputShape: readonly number[], batch?: number): 'factorized' | 'reconstructed';
}

/**
 * `layer`'s reconstructed execution of `x` `[N, H, W, S]` with `activation` fused, or null when
 * its effective mode for this input is the factorized chain.
 */
export function reconstructedConvIf(
  layer: ReconstructableConv,
  x: tf.Tensor,
  activation: FusedActivation,
): tf.Tensor | null {
  const [n, h, w] = x.shape as [number, number, number, number];
  if (layer.effectiveMode([h, w, layer.inChannels], n) !== 'reconstructed') return null;
  return reconstructedConv(layer, x as tf.Tensor4D, () => layer.kernel(), layer.geometry, layer.bias, activation);
}

/** `x` `[N, S]` times the `[S, T]` weight `weight()` rebuilds, plus `bias`, then `activation`. */
export function reconstructedLinear(
  owner: Module,
  x: tf.Tensor2D,
  weight: () => tf.Tensor2D,
  bias: tf.Tensor | null,
  activation: FusedActivation = 'linear',
): tf.Tensor {
  if (tf.engine().state.gradientDepth > 0) {
    const y = fastMatMul(x, weight());
    return activate(addBias(y, bias), activation);
  }
  const w = cachedDerived(owner, sourcesOf(owner), weight, bias).weight as tf.Tensor2D;
  return tf.fused.matMul({ a: x, b: w, ...(bias === null ? {} : { bias }), activation });
}
