import type * as tf from '@tensorflow/tfjs-core';
import { TnzipError } from '@tnzip/tensor';
import { type ActivationFunction, isActivationFunction } from '../layers/activation.js';
import { AvgPool } from '../layers/avg-pool.js';
import { BatchNorm } from '../layers/batch-norm.js';
import { Conv2d } from '../layers/conv2d.js';
import { DepthwiseConv2d } from '../layers/depthwise-conv2d.js';
import { Dropout } from '../layers/dropout.js';
import { Flatten } from '../layers/flatten.js';
import { GlobalAvgPool } from '../layers/global-avg-pool.js';
import { Linear } from '../layers/linear.js';
import { MaxPool } from '../layers/max-pool.js';
import { Add, Concatenate } from '../layers/merge.js';
import { Reshape } from '../layers/reshape.js';
import { ZeroPad2d } from '../layers/zero-pad2d.js';
import type { Module, Shape } from '../module.js';
import type { KerasLayerSpec } from './keras-topology.js';

/** What one Keras layer becomes: a module, or only an activation, plus a fused activation. */
export interface ConvertedLayer {
  /** null for a layer that is only an activation (`Activation`, `ReLU`, `Softmax`). */
  readonly module: Module | null;
  /** The layer's activation (fused `activation` option, or the whole layer); `'linear'` = none. */
  readonly activation: ActivationFunction;
}

/** What a converter sees of one Keras layer. */
export interface ConvertContext {
  readonly spec: KerasLayerSpec;
  /** Per-example shapes of the layer's inputs. */
  readonly inputShapes: readonly Shape[];
  /** The weight `<layer>/<key>` of the manifest (marked used); CORRUPT_FILE when absent or of another shape. */
  readonly weight: (key: string, shape: readonly number[]) => tf.Tensor;
  readonly hasWeight: (key: string) => boolean;
}

type Converter = (c: ConvertContext) => ConvertedLayer;

function unsupported(c: ConvertContext, what: string): TnzipError {
  return new TnzipError(
    'INVALID_ARGUMENT',
    `import: layer '${c.spec.name}' (${c.spec.className}): ${what} is not supported (supported layers: ${SUPPORTED_KERAS_LAYERS.join(', ')}; see the tnzip README for their options)`,
  );
}

/** Option `key`; when `allowed` is given the value must deep-equal one of them (absent = `fallback`). */
function opt(c: ConvertContext, key: string, fallback: unknown, allowed?: readonly unknown[]): unknown {
  const v = c.spec.config[key] === undefined ? fallback : c.spec.config[key];
  if (allowed !== undefined && !allowed.some((a) => JSON.stringify(a) === JSON.stringify(v)))
    throw unsupported(c, `option ${key}=${JSON.stringify(v)}`);
  return v;
}

function intPair(c: ConvertContext, key: string, fallback: unknown): [number, number] {
  const v = opt(c, key, fallback);
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= 1))
    throw unsupported(c, `option ${key}=${JSON.stringify(v)}`);
  return [p[0] as number, p[1] as number];
}

function padding(c: ConvertContext): 'same' | 'valid' {
  return opt(c, 'padding', 'valid', ['same', 'valid']) as 'same' | 'valid';
}

function channelsLast(c: ConvertContext): void {
  opt(c, 'data_format', 'channels_last', ['channels_last', null]);
}

function activation(c: ConvertContext): ActivationFunction {
  const a = opt(c, 'activation', 'linear');
  if (a === null) return 'linear';
  if (!isActivationFunction(a)) throw unsupported(c, `activation ${JSON.stringify(a)}`);
  return a;
}

function rankOf(c: ConvertContext, rank: number): Shape {
  const s = c.inputShapes[0] as Shape;
  if (c.inputShapes.length !== 1 || s.length !== rank)
    throw unsupported(
      c,
      `an input of shape [${c.inputShapes.map((x) => x.join(', ')).join('], [')}] (expects rank ${rank} per example)`,
    );
  return s;
}

/** The caller disposes the decoded weights; a variable keeps its own reference. */
function assign(v: tf.Variable, t: tf.Tensor): void {
  v.assign(t);
}

const conv2d: Converter = (c) => {
  channelsLast(c);
  opt(c, 'groups', 1, [1]);
  const [, , s] = rankOf(c, 3) as [number, number, number];
  const filters = opt(c, 'filters', null) as number;
  const kernelSize = intPair(c, 'kernel_size', null);
  const bias = opt(c, 'use_bias', true, [true, false]) as boolean;
  // Weights are checked before the module exists, so a mismatch leaves nothing to dispose.
  const kernel = c.weight('kernel', [...kernelSize, s, filters]);
  const b = bias ? c.weight('bias', [filters]) : null;
  const act = activation(c);
  const m = new Conv2d(c.spec.name, {
    inChannels: s,
    outChannels: filters,
    kernelSize,
    stride: intPair(c, 'strides', 1),
    padding: padding(c),
    dilation: intPair(c, 'dilation_rate', 1),
    bias,
  });
  assign(m.weight, kernel);
  if (m.bias !== null && b !== null) assign(m.bias, b);
  return { module: m, activation: act };
};

const depthwise: Converter = (c) => {
  channelsLast(c);
  const [, , s] = rankOf(c, 3) as [number, number, number];
  const mult = opt(c, 'depth_multiplier', 1) as number;
  const kernelSize = intPair(c, 'kernel_size', null);
  const bias = opt(c, 'use_bias', true, [true, false]) as boolean;
  const kernel = c.weight('depthwise_kernel', [...kernelSize, s, mult]);
  const b = bias ? c.weight('bias', [s * mult]) : null;
  const act = activation(c);
  const m = new DepthwiseConv2d(c.spec.name, {
    channels: s,
    depthMultiplier: mult,
    kernelSize,
    stride: intPair(c, 'strides', 1),
    padding: padding(c),
    dilation: intPair(c, 'dilation_rate', 1),
    bias,
  });
  assign(m.weight, kernel);
  if (m.bias !== null && b !== null) assign(m.bias, b);
  return { module: m, activation: act };
};

const dense: Converter = (c) => {
  const [s] = rankOf(c, 1) as [number];
  const units = opt(c, 'units', null) as number;
  const bias = opt(c, 'use_bias', true, [true, false]) as boolean;
  const kernel = c.weight('kernel', [s, units]);
  const b = bias ? c.weight('bias', [units]) : null;
  const act = activation(c);
  const m = new Linear(c.spec.name, { inFeatures: s, outFeatures: units, bias });
  assign(m.weight, kernel);
  if (m.bias !== null && b !== null) assign(m.bias, b);
  return { module: m, activation: act };
};

const batchNorm: Converter = (c) => {
  const shape = c.inputShapes[0] as Shape;
  const n = shape[shape.length - 1] as number;
  opt(c, 'axis', -1, [-1, shape.length, [-1], [shape.length]]);
  const gamma = opt(c, 'scale', true, [true, false]) === true ? c.weight('gamma', [n]) : null;
  const beta = opt(c, 'center', true, [true, false]) === true ? c.weight('beta', [n]) : null;
  const mean = c.weight('moving_mean', [n]);
  const variance = c.weight('moving_variance', [n]);
  const m = new BatchNorm(c.spec.name, {
    numFeatures: n,
    momentum: 1 - (opt(c, 'momentum', 0.99) as number),
    eps: opt(c, 'epsilon', 1e-3) as number,
  });
  if (gamma !== null) assign(m.weight, gamma);
  if (beta !== null) assign(m.bias, beta);
  assign(m.runningMean, mean);
  assign(m.runningVar, variance);
  return { module: m, activation: 'linear' };
};

const pool =
  (Cls: typeof MaxPool | typeof AvgPool): Converter =>
  (c) => {
    channelsLast(c);
    rankOf(c, 3);
    const kernelSize = intPair(c, 'pool_size', 2);
    const stride = c.spec.config.strides == null ? kernelSize : intPair(c, 'strides', null);
    return { module: new Cls(c.spec.name, { kernelSize, stride, padding: padding(c) }), activation: 'linear' };
  };

const globalAvg: Converter = (c) => {
  channelsLast(c);
  opt(c, 'keepdims', false, [false]);
  rankOf(c, 3);
  return { module: new GlobalAvgPool(c.spec.name), activation: 'linear' };
};

const activationLayer: Converter = (c) => ({ module: null, activation: activation(c) });

const reluLayer: Converter = (c) => {
  opt(c, 'negative_slope', 0, [0]);
  opt(c, 'threshold', 0, [0]);
  const max = opt(c, 'max_value', null, [null, 6]);
  return { module: null, activation: max === 6 ? 'relu6' : 'relu' };
};

const softmaxLayer: Converter = (c) => {
  const rank = (c.inputShapes[0] as Shape).length;
  opt(c, 'axis', -1, [-1, rank, [-1], [rank]]);
  return { module: null, activation: 'softmax' };
};

const dropout: Converter = (c) => {
  opt(c, 'noise_shape', null, [null]);
  const rate = opt(c, 'rate', 0) as number;
  const seed = c.spec.config.seed;
  return {
    module: new Dropout(c.spec.name, {
      rate,
      ...(Number.isInteger(seed) && (seed as number) >= 0 ? { seed: seed as number } : {}),
    }),
    activation: 'linear',
  };
};

const zeroPadding: Converter = (c) => {
  channelsLast(c);
  rankOf(c, 3);
  const v = opt(c, 'padding', 1);
  let pads: unknown = v;
  if (typeof v === 'number')
    pads = [
      [v, v],
      [v, v],
    ];
  else if (Array.isArray(v) && v.every((x) => typeof x === 'number'))
    pads = [
      [v[0], v[0]],
      [v[1], v[1]],
    ];
  const ok =
    Array.isArray(pads) &&
    pads.length === 2 &&
    pads.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => Number.isInteger(x) && x >= 0));
  if (!ok) throw unsupported(c, `option padding=${JSON.stringify(v)}`);
  return { module: new ZeroPad2d(c.spec.name, pads as [[number, number], [number, number]]), activation: 'linear' };
};

const concatenate: Converter = (c) => {
  const rank = (c.inputShapes[0] as Shape).length;
  const axis = opt(c, 'axis', -1) as number;
  if (!Number.isInteger(axis) || axis === 0 || axis < -rank || axis > rank)
    throw unsupported(c, `option axis=${JSON.stringify(axis)}`);
  return { module: new Concatenate(c.spec.name, axis < 0 ? axis : axis - 1), activation: 'linear' };
};

const reshape: Converter = (c) => ({
  module: new Reshape(c.spec.name, opt(c, 'target_shape', null) as number[]),
  activation: 'linear',
});

/**
 * Converters from Keras layer classes to tnzip modules. Keras and tnzip both compute in NHWC
 * with kernels `[k_h, k_w, S, T]` (Conv2D), `[S, T]` (Dense) and `[k_h, k_w, C, m]`
 * (DepthwiseConv2D), so weights are copied as they are. Keras' BatchNormalization momentum
 * (weight of the old average) becomes tnzip's (weight of the new batch statistic) `1 − momentum`.
 */
export const KERAS_CONVERTERS: Readonly<Record<string, Converter>> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwise,
  Dense: dense,
  BatchNormalization: batchNorm,
  Activation: activationLayer,
  ReLU: reluLayer,
  Softmax: softmaxLayer,
  MaxPooling2D: pool(MaxPool),
  AveragePooling2D: pool(AvgPool),
  GlobalAveragePooling2D: globalAvg,
  Flatten: (c) => {
    channelsLast(c);
    return { module: new Flatten(c.spec.name), activation: 'linear' };
  },
  Reshape: reshape,
  Dropout: dropout,
  ZeroPadding2D: zeroPadding,
  Add: (c) => ({ module: new Add(c.spec.name), activation: 'linear' }),
  Concatenate: concatenate,
};

/** The Keras layer classes {@link importLayersModel} accepts (besides `InputLayer`). */
export const SUPPORTED_KERAS_LAYERS: readonly string[] = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'Softmax',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Reshape',
  'Dropout',
  'ZeroPadding2D',
  'Add',
  'Concatenate',
];

/** Converts one Keras layer; INVALID_ARGUMENT naming the layer, its class and the supported list otherwise. */
export function convertKerasLayer(c: ConvertContext): ConvertedLayer {
  const f = KERAS_CONVERTERS[c.spec.className];
  if (f === undefined) throw unsupported(c, 'this layer class');
  return f(c);
}
