import * as tf from '@tensorflow/tfjs-core';
import type { Activation, ActivationFunction } from '../layers/activation.js';
import type { BatchNorm } from '../layers/batch-norm.js';
import type { ChannelPadShortcut } from '../layers/channel-pad-shortcut.js';
import type { Conv2d } from '../layers/conv2d.js';
import type { DepthwiseConv2d } from '../layers/depthwise-conv2d.js';
import type { Linear } from '../layers/linear.js';
import type { Pool2d } from '../layers/pool2d.js';
import type { Reshape } from '../layers/reshape.js';
import type { ZeroPad2d } from '../layers/zero-pad2d.js';
import { float, int, ints, type OnnxGraphBuilder, type OnnxRef } from './onnx-builder.js';
import {
  convHwio,
  convNode,
  noOnnxForm,
  type OnnxExporter,
  onnxPads,
  padsOver,
  toNchw,
  toPlain,
  windowOut,
} from './onnx-common.js';

/** Conv2d → Conv (explicit pads; 'same' resolved for the known input size). */
export const onnxConv2d: OnnxExporter = (module, x, ctx) => {
  const m = module as Conv2d;
  const out = convHwio(ctx.builder, ctx.base, x, m.weight, m.bias, m.stride, m.padding, m.dilation);
  return { output: out, form: 'dense' };
};

/** Linear → Gemm on a vector input, MatMul + Add on a higher-rank one (the last axis). */
export const onnxLinear: OnnxExporter = (module, x, ctx) => {
  const m = module as Linear;
  const b = ctx.builder;
  const xs = toPlain(b, x, ctx.base);
  const w = b.weight(`${ctx.base}_W`, m.weight);
  const shape = [...xs.shape.slice(0, -1), m.outFeatures];
  if (xs.shape.length === 1) {
    const inputs = m.bias === null ? [xs.name, w] : [xs.name, w, b.weight(`${ctx.base}_B`, m.bias)];
    return { output: { name: b.node('Gemm', inputs, ctx.base), shape, layout: 'plain' }, form: 'dense' };
  }
  let y = b.node('MatMul', [xs.name, w], m.bias === null ? ctx.base : `${ctx.base}_matmul`);
  if (m.bias !== null) y = b.node('Add', [y, b.weight(`${ctx.base}_B`, m.bias)], ctx.base);
  return { output: { name: y, shape, layout: 'plain' }, form: 'dense' };
};

/** DepthwiseConv2d → Conv with group = C (output channel c·M + m, as tfjs orders them). */
export const onnxDepthwise: OnnxExporter = (module, x, ctx) => {
  const m = module as DepthwiseConv2d;
  const [kh, kw] = m.kernelSize;
  const c = m.channels * m.depthMultiplier;
  const w = tf.tidy(() => tf.reshape(tf.transpose(m.weight, [2, 3, 0, 1]), [c, 1, kh, kw]));
  try {
    const pads = padsOver(x, [kh, kw], m.stride, m.padding, m.dilation);
    const spec = { stride: m.stride, pads, dilation: m.dilation, group: m.channels };
    return { output: convNode(ctx.builder, ctx.base, x, w, m.bias, spec), form: 'dense' };
  } finally {
    w.dispose();
  }
};

/** BatchNorm (inference: running statistics) → BatchNormalization over the channel axis. */
export const onnxBatchNorm: OnnxExporter = (module, x, ctx) => {
  const m = module as BatchNorm;
  const b = ctx.builder;
  if (x.shape.length !== 1 && x.shape.length !== 3)
    throw noOnnxForm(
      m,
      ctx,
      `normalizes a rank-${x.shape.length} input (ONNX normalizes axis 1 of [N, C] or [N, C, H, W])`,
    );
  const xs = x.shape.length === 3 ? toNchw(b, x, ctx.base) : x;
  const inputs = [
    xs.name,
    ...(['weight', 'bias', 'runningMean', 'runningVar'] as const).map((k) => b.weight(`${ctx.base}_${k}`, m[k])),
  ];
  const name = b.node('BatchNormalization', inputs, ctx.base, { epsilon: float(m.eps) });
  return { output: { name, shape: xs.shape, layout: xs.layout }, form: 'dense' };
};

/** An elementwise function as ONNX ops (Keras' definitions, as tnzip computes them). */
export function activationNode(b: OnnxGraphBuilder, fn: ActivationFunction, x: OnnxRef, base: string): OnnxRef {
  const of = (name: string): OnnxRef => ({ name, shape: x.shape, layout: x.layout });
  switch (fn) {
    case 'linear':
      return x;
    case 'relu6':
      return of(b.node('Clip', [x.name, b.constant(`${base}_min`, [0]), b.constant(`${base}_max`, [6])], base));
    case 'softmax':
      return of(b.node('Softmax', [x.name], base, { axis: int(x.layout === 'nchw' ? 1 : -1) }));
    case 'swish':
      return of(b.node('Mul', [x.name, b.node('Sigmoid', [x.name], `${base}_sigmoid`)], base));
    default: {
      const op = {
        relu: 'Relu',
        sigmoid: 'Sigmoid',
        tanh: 'Tanh',
        elu: 'Elu',
        selu: 'Selu',
        softplus: 'Softplus',
        softsign: 'Softsign',
      }[fn];
      return of(b.node(op, [x.name], base));
    }
  }
}

const pool =
  (op: 'MaxPool' | 'AveragePool'): OnnxExporter =>
  (module, x, ctx) => {
    const m = module as Pool2d;
    const b = ctx.builder;
    const xs = toNchw(b, x, ctx.base);
    const pads = padsOver(xs, m.kernelSize, m.stride, m.padding);
    const [kh, kw] = m.kernelSize;
    if (Math.max(pads.top, pads.bottom) >= kh || Math.max(pads.left, pads.right) >= kw)
      throw noOnnxForm(
        m,
        ctx,
        `pads ${JSON.stringify(onnxPads(pads))} a ${kh}×${kw} window by as much as the window (ONNX pooling needs pads < kernel)`,
      );
    const attrs = { kernel_shape: ints(m.kernelSize), strides: ints(m.stride), pads: ints(onnxPads(pads)) };
    // tnzip's average pooling does not count padded cells, as count_include_pad = 0 (the default).
    const name = b.node(op, [xs.name], ctx.base, attrs);
    const [oh, ow] = windowOut(xs, m.kernelSize, m.stride, pads);
    return { output: { name, shape: [oh, ow, xs.shape[2] as number], layout: 'nchw' } };
  };

/** ChannelPadShortcut → a strided 1×1 Conv whose kernel places the S channels at offset ⌊(T − S)/2⌋ (exact). */
export const onnxChannelPad: OnnxExporter = (module, x, ctx) => {
  const m = module as ChannelPadShortcut;
  const offset = Math.floor((m.outChannels - m.inChannels) / 2);
  const w = tf.tidy(() =>
    tf.reshape(
      tf.pad(tf.eye(m.inChannels), [
        [offset, m.outChannels - m.inChannels - offset],
        [0, 0],
      ]),
      [m.outChannels, m.inChannels, 1, 1],
    ),
  );
  try {
    const spec = {
      stride: [m.stride, m.stride] as const,
      pads: { top: 0, bottom: 0, left: 0, right: 0 },
      dilation: [1, 1] as const,
      group: 1,
    };
    return { output: convNode(ctx.builder, ctx.base, x, w, null, spec) };
  } finally {
    w.dispose();
  }
};

/** Flatten / Reshape: back to tnzip's row-major NHWC order, then Reshape keeping the batch axis. */
const reshapeTo =
  (target: (module: Parameters<OnnxExporter>[0], size: number) => readonly number[]): OnnxExporter =>
  (m, x, ctx) => {
    const b = ctx.builder;
    const xs = toPlain(b, x, ctx.base);
    const shape = target(
      m,
      xs.shape.reduce((a, d) => a * d, 1),
    );
    const name = b.node('Reshape', [xs.name, b.int64(`${ctx.base}_shape`, [0, ...shape])], ctx.base);
    return { output: { name, shape: [...shape], layout: 'plain' } };
  };

/** ZeroPad2d → Pad (constant zeros) on the spatial axes. */
export const onnxZeroPad: OnnxExporter = (module, x, ctx) => {
  const m = module as ZeroPad2d;
  const b = ctx.builder;
  const xs = toNchw(b, x, ctx.base);
  const [[t, bt], [l, r]] = m.pads;
  const name = b.node('Pad', [xs.name, b.int64(`${ctx.base}_pads`, [0, 0, t, l, 0, 0, bt, r])], ctx.base);
  const [h, w, c] = xs.shape as [number, number, number];
  return { output: { name, shape: [h + t + bt, w + l + r, c], layout: 'nchw' } };
};

/** Exporters of the dense (non-factorized) layer kinds, by module kind. */
export const DENSE_ONNX_EXPORTERS: Readonly<Record<string, OnnxExporter>> = {
  conv2d: onnxConv2d,
  linear: onnxLinear,
  'depthwise-conv2d': onnxDepthwise,
  'batch-norm': onnxBatchNorm,
  relu: (_m, x, ctx) => ({ output: activationNode(ctx.builder, 'relu', x, ctx.base) }),
  activation: (m, x, ctx) => ({ output: activationNode(ctx.builder, (m as Activation).fn, x, ctx.base) }),
  'max-pool': pool('MaxPool'),
  'avg-pool': pool('AveragePool'),
  'global-avg-pool': (_m, x, ctx) => {
    const b = ctx.builder;
    const xs = toNchw(b, x, ctx.base);
    const g = b.node('GlobalAveragePool', [xs.name], `${ctx.base}_pool`);
    return {
      output: {
        name: b.node('Flatten', [g], ctx.base, { axis: int(1) }),
        shape: [xs.shape[2] as number],
        layout: 'plain',
      },
    };
  },
  flatten: reshapeTo((_m, size) => [size]),
  reshape: reshapeTo((m, size) => (m as Reshape).resolve(size)),
  dropout: (_m, x) => ({ output: x }),
  'zero-pad2d': onnxZeroPad,
  'channel-pad-shortcut': onnxChannelPad,
};
