import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from '../layers/activation.js';
import type { BatchNorm } from '../layers/batch-norm.js';
import type { ChannelPadShortcut } from '../layers/channel-pad-shortcut.js';
import type { Conv2d } from '../layers/conv2d.js';
import type { DepthwiseConv2d } from '../layers/depthwise-conv2d.js';
import type { Dropout } from '../layers/dropout.js';
import type { Linear } from '../layers/linear.js';
import type { Pool2d } from '../layers/pool2d.js';
import type { Reshape } from '../layers/reshape.js';
import type { ZeroPad2d } from '../layers/zero-pad2d.js';
import type { Module } from '../module.js';
import type { KerasRef } from './export-builder.js';
import {
  conv2dConfig,
  convShape,
  depthwiseConfig,
  type KerasExporter,
  kerasPadding,
  noStockForm,
} from './export-common.js';

const weightsOf = (w: tf.Tensor, bias: tf.Tensor | null, key = 'kernel'): Array<[string, tf.Tensor]> =>
  bias === null
    ? [[key, w]]
    : [
        [key, w],
        ['bias', bias],
      ];

/** Conv2d → Conv2D (a ZeroPadding2D first for explicit pads). */
export const exportConv2d: KerasExporter = (module, x, ctx) => {
  const m = module as Conv2d;
  const b = ctx.builder;
  const p = kerasPadding(m.padding, x, b, ctx.base);
  const shape = convShape(p.x, m.kernelSize, m.stride, p.padding, m.dilation, m.outChannels);
  const cfg = conv2dConfig(m.outChannels, m.kernelSize, m.stride, p.padding, m.dilation, m.bias !== null);
  return { output: b.layer('Conv2D', ctx.base, cfg, [p.x], shape, weightsOf(m.weight, m.bias)), form: 'dense' };
};

/** Linear → Dense. */
export const exportLinear: KerasExporter = (module, x, ctx) => {
  const m = module as Linear;
  if (x.shape.length !== 1) throw noStockForm(m, ctx, `reads a rank-${x.shape.length} input`);
  const cfg = { units: m.outFeatures, activation: 'linear', use_bias: m.bias !== null };
  return {
    output: ctx.builder.layer('Dense', ctx.base, cfg, [x], [m.outFeatures], weightsOf(m.weight, m.bias)),
    form: 'dense',
  };
};

/** DepthwiseConv2d → DepthwiseConv2D. */
export const exportDepthwise: KerasExporter = (module, x, ctx) => {
  const m = module as DepthwiseConv2d;
  const b = ctx.builder;
  const p = kerasPadding(m.padding, x, b, ctx.base);
  const out = m.channels * m.depthMultiplier;
  const shape = convShape(p.x, m.kernelSize, m.stride, p.padding, m.dilation, out);
  const cfg = depthwiseConfig(m.kernelSize, m.stride, p.padding, m.dilation, m.bias !== null, m.depthMultiplier);
  return {
    output: b.layer('DepthwiseConv2D', ctx.base, cfg, [p.x], shape, weightsOf(m.weight, m.bias, 'depthwise_kernel')),
    form: 'dense',
  };
};

/** BatchNorm → BatchNormalization (Keras momentum = 1 − tnzip momentum). */
export const exportBatchNorm: KerasExporter = (module, x, ctx) => {
  const m = module as BatchNorm;
  const cfg = { axis: -1, momentum: 1 - m.momentum, epsilon: m.eps, center: true, scale: true };
  const w: Array<[string, tf.Tensor]> = [
    ['gamma', m.weight],
    ['beta', m.bias],
    ['moving_mean', m.runningMean],
    ['moving_variance', m.runningVar],
  ];
  return { output: ctx.builder.layer('BatchNormalization', ctx.base, cfg, [x], x.shape, w), form: 'dense' };
};

const activation =
  (fn: (m: Module) => string): KerasExporter =>
  (m, x, ctx) => ({ output: ctx.builder.layer('Activation', ctx.base, { activation: fn(m) }, [x], x.shape) });

const pool =
  (className: string): KerasExporter =>
  (module, x, ctx) => {
    const m = module as Pool2d;
    let padding = m.padding;
    if (typeof padding === 'number' && padding === 0) padding = 'valid';
    if (padding !== 'same' && padding !== 'valid')
      throw noStockForm(m, ctx, `has explicit padding ${JSON.stringify(m.padding)}`);
    const cfg = { pool_size: m.kernelSize, strides: m.stride, padding, data_format: 'channels_last' };
    return { output: ctx.builder.layer(className, ctx.base, cfg, [x], m.cost(x.shape).outputShape) };
  };

const simple =
  (className: string, config: (m: Module, x: KerasRef) => Record<string, unknown> = () => ({})): KerasExporter =>
  (m, x, ctx) => ({ output: ctx.builder.layer(className, ctx.base, config(m, x), [x], m.cost(x.shape).outputShape) });

/** ChannelPadShortcut → a 1×1 Conv2D of stride s whose kernel places the S channels at offset ⌊(T − S)/2⌋ (exact). */
export const exportChannelPad: KerasExporter = (module, x, ctx) => {
  const m = module as ChannelPadShortcut;
  const offset = Math.floor((m.outChannels - m.inChannels) / 2);
  const k = tf.tidy(() =>
    tf.reshape(
      tf.pad(tf.eye(m.inChannels), [
        [0, 0],
        [offset, m.outChannels - m.inChannels - offset],
      ]),
      [1, 1, m.inChannels, m.outChannels],
    ),
  );
  const cfg = conv2dConfig(m.outChannels, [1, 1], [m.stride, m.stride], 'valid', [1, 1], false);
  const out = ctx.builder.layer('Conv2D', ctx.base, cfg, [x], m.cost(x.shape).outputShape, [['kernel', k]]);
  k.dispose();
  return { output: out };
};

/** Exporters of the dense (non-factorized) layer kinds, by module kind. */
export const DENSE_EXPORTERS: Readonly<Record<string, KerasExporter>> = {
  conv2d: exportConv2d,
  linear: exportLinear,
  'depthwise-conv2d': exportDepthwise,
  'batch-norm': exportBatchNorm,
  relu: activation(() => 'relu'),
  activation: activation((m) => (m as Activation).fn),
  'max-pool': pool('MaxPooling2D'),
  'avg-pool': pool('AveragePooling2D'),
  'global-avg-pool': simple('GlobalAveragePooling2D', () => ({ data_format: 'channels_last' })),
  flatten: simple('Flatten', () => ({ data_format: 'channels_last' })),
  reshape: simple('Reshape', (m, x) => ({ target_shape: (m as Reshape).resolve(x.shape.reduce((a, d) => a * d, 1)) })),
  dropout: simple('Dropout', (m) => ({ rate: (m as Dropout).rate })),
  'zero-pad2d': simple('ZeroPadding2D', (m) => ({ padding: (m as ZeroPad2d).pads, data_format: 'channels_last' })),
  'channel-pad-shortcut': exportChannelPad,
};
