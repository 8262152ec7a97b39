import * as tf from '@tensorflow/tfjs-core';
import { checkInt, TnzipError } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import { checkPadding, convOutputShape, type Padding, pair, resolvePads } from '../ops/conv-geometry.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { expectBatch, expectShape, field, isAny, isBool, isNum } from './checks.js';

/** Options of {@link DepthwiseConv2d}. */
export interface DepthwiseConv2dOptions {
  /** C, input channels (>= 1). */
  readonly channels: number;
  /** Output channels per input channel (>= 1). Default 1. */
  readonly depthMultiplier?: number;
  readonly kernelSize: number | readonly [number, number];
  /** Default 1. */
  readonly stride?: number | readonly [number, number];
  /** Default `'valid'`. */
  readonly padding?: Padding;
  /** Default 1; tfjs allows a dilation > 1 only with stride 1. */
  readonly dilation?: number | readonly [number, number];
  /** Default true. */
  readonly bias?: boolean;
}

/**
 * Depthwise 2-D convolution, NHWC (Keras `DepthwiseConv2D`): `[N, H, W, C]` → `[N, H', W', C·m]`,
 * weight `[k_h, k_w, C, m]` (output channel `c·m + j` filters input channel `c` with `weight[:, :, c, j]`),
 * bias `[C·m]`. Zero-initialized (it is built to receive imported weights).
 *
 * Cost: params = k_h·k_w·C·m (+C·m), MACs = H'·W'·k_h·k_w·C·m.
 * Note: tfjs-backend-wasm has no depthwise backprop kernels, so training through this layer
 * needs the cpu or webgpu backend.
 */
export class DepthwiseConv2d extends Module {
  readonly kind = 'depthwise-conv2d';
  readonly channels: number;
  readonly depthMultiplier: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding;
  readonly dilation: [number, number];
  /** `[k_h, k_w, C, m]`. */
  readonly weight: tf.Variable;
  /** `[C·m]`, or null. */
  readonly bias: tf.Variable | null;

  constructor(name: string, options: DepthwiseConv2dOptions) {
    super(name);
    const who = `DepthwiseConv2d '${name}'`;
    checkInt(options.channels, `${who}: channels`, 1);
    this.channels = options.channels;
    this.depthMultiplier = options.depthMultiplier ?? 1;
    checkInt(this.depthMultiplier, `${who}: depthMultiplier`, 1);
    this.kernelSize = pair(options.kernelSize, `${who}: kernelSize`);
    this.stride = pair(options.stride ?? 1, `${who}: stride`);
    this.dilation = pair(options.dilation ?? 1, `${who}: dilation`);
    this.padding = options.padding ?? 'valid';
    checkPadding(this.padding, `${who}: padding`);
    if (this.stride.some((s) => s > 1) && this.dilation.some((d) => d > 1))
      throw new TnzipError(
        'INVALID_ARGUMENT',
        `${who}: stride and dilation cannot both exceed 1 (tfjs depthwiseConv2d)`,
      );
    if (options.bias !== undefined && typeof options.bias !== 'boolean')
      throw new TnzipError('INVALID_ARGUMENT', `${who}: bias must be a boolean, got ${String(options.bias)}`);
    const [kh, kw] = this.kernelSize;
    const out = this.channels * this.depthMultiplier;
    this.weight = this.addParam('weight', tf.zeros([kh, kw, this.channels, this.depthMultiplier]));
    this.bias = options.bias === false ? null : this.addParam('bias', tf.zeros([out]));
  }

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    expectBatch(this.name, x, [null, null, this.channels]);
    const [, h, w] = x.shape as [number, number, number, number];
    const p = resolvePads(h, w, this.kernelSize, this.stride, this.padding, this.dilation);
    const pads: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [p.top, p.bottom],
      [p.left, p.right],
      [0, 0],
    ];
    const y = tf.depthwiseConv2d(
      x as tf.Tensor4D,
      this.weight as tf.Tensor4D,
      this.stride,
      pads,
      'NHWC',
      this.dilation,
    );
    return this.bias === null ? y : tf.add(y, this.bias);
  }

  cost(inputShape: Shape): Cost {
    expectShape(this.name, inputShape, [null, null, this.channels]);
    const out = this.channels * this.depthMultiplier;
    const outputShape = convOutputShape(inputShape, this.kernelSize, this.stride, this.padding, this.dilation, out);
    const perPixel = this.kernelSize[0] * this.kernelSize[1] * out;
    return {
      params: perPixel + (this.bias === null ? 0 : out),
      macs: outputShape[0] * outputShape[1] * perPixel,
      outputShape,
    };
  }

  config(): ModuleConfig {
    return {
      kind: this.kind,
      name: this.name,
      channels: this.channels,
      depthMultiplier: this.depthMultiplier,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      bias: this.bias !== null,
    };
  }
}

registerModule(
  'depthwise-conv2d',
  (c) =>
    new DepthwiseConv2d(c.name, {
      channels: field<number>(c, 'channels', isNum, 'a number'),
      depthMultiplier: field<number>(c, 'depthMultiplier', isNum, 'a number'),
      kernelSize: field<[number, number]>(c, 'kernelSize', isAny, 'a number or pair'),
      stride: field<[number, number]>(c, 'stride', isAny, 'a number or pair'),
      padding: field<Padding>(c, 'padding', isAny, 'a padding'),
      dilation: field<[number, number]>(c, 'dilation', isAny, 'a number or pair'),
      bias: field<boolean>(c, 'bias', isBool, 'a boolean'),
    }),
);
