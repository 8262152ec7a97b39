import * as tf from '@tensorflow/tfjs-core';
import { checkInt, TnzipError } from '@tnzip/tensor';
import { defaultSeed, heNormal } from '../init.js';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import {
  checkPadding,
  convOutputShape,
  nhwcPads,
  type Padding,
  pair,
  resolvePads,
  windowOutputSize,
} from '../ops/conv-geometry.js';
import { fastConv2d } from '../ops/fast-conv2d.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { expectBatch, expectShape, field, isAny, isBool, isNum } from './checks.js';
import { type Epilogue, type Fusible, foldedParams } from './fusion.js';

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** S, input channels (>= 1). */
  readonly inChannels: number;
  /** T, output channels (>= 1). */
  readonly outChannels: number;
  /** k_h × k_w (a number for a square kernel). */
  readonly kernelSize: number | readonly [number, number];
  /** Default 1. */
  readonly stride?: number | readonly [number, number];
  /** Default `'valid'`. */
  readonly padding?: Padding;
  /** Default 1. */
  readonly dilation?: number | readonly [number, number];
  /** Default true. */
  readonly bias?: boolean;
  /** Init seed; default: {@link defaultSeed} (name hash and construction order). */
  readonly seed?: number;
}

/**
 * 2-D convolution, NHWC: `[N, H, W, S]` → `[N, H', W', T]`, weight `[k_h, k_w, S, T]`, bias `[T]`.
 * Runs through {@link fastConv2d}, so training is fast on wasm too. He-normal init, zero bias.
 *
 * Cost (papers.md §5): params = T·S·k_h·k_w (+T), MACs = H'·W'·T·S·k_h·k_w.
 */
export class Conv2d extends Module implements Fusible {
  readonly kind = 'conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding;
  readonly dilation: [number, number];
  /** `[k_h, k_w, S, T]`. */
  readonly weight: tf.Variable;
  /** `[T]`, or null without bias. */
  readonly bias: tf.Variable | null;
  private readonly seed: number | undefined;
  /** Explicit NHWC pads of the last input size seen by the fused path (resolved once per size). */
  private lastPads: { h: number; w: number; pads: ReturnType<typeof nhwcPads> } | null = null;

  constructor(name: string, options: Conv2dOptions) {
    super(name);
    checkInt(options.inChannels, `Conv2d '${name}': inChannels`, 1);
    checkInt(options.outChannels, `Conv2d '${name}': outChannels`, 1);
    this.inChannels = options.inChannels;
    this.outChannels = options.outChannels;
    this.kernelSize = pair(options.kernelSize, `Conv2d '${name}': kernelSize`);
    this.stride = pair(options.stride ?? 1, `Conv2d '${name}': stride`);
    this.dilation = pair(options.dilation ?? 1, `Conv2d '${name}': dilation`);
    this.padding = options.padding ?? 'valid';
    checkPadding(this.padding, `Conv2d '${name}': padding`);
    if (options.bias !== undefined && typeof options.bias !== 'boolean') {
      throw new TnzipError('INVALID_ARGUMENT', `Conv2d '${name}': bias must be a boolean, got ${String(options.bias)}`);
    }
    if (options.seed !== undefined) checkInt(options.seed, `Conv2d '${name}': seed`, 0, 0xffffffff);
    this.seed = options.seed;
    const [kh, kw] = this.kernelSize;
    const seed = options.seed ?? defaultSeed(name);
    const init = tf.tidy(() => heNormal([kh, kw, this.inChannels, this.outChannels], kh * kw * this.inChannels, seed));
    this.weight = this.addParam('weight', init);
    init.dispose(); // addParam copies into a variable
    if (options.bias === false) {
      this.bias = null;
    } else {
      const zeros = tf.zeros([this.outChannels]);
      this.bias = this.addParam('bias', zeros);
      zeros.dispose();
    }
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    expectBatch(this.name, x, [null, null, this.inChannels]);
    if (this.bias !== null && tf.engine().state.gradientDepth === 0) {
      // No gradient recorded: bias in the conv kernel (FusedConv2D) instead of a separate Add.
      const fused = this.forwardFused(x, ctx, { bn: null, relu: false });
      if (fused !== null) return fused;
    }
    const y = this.stridedAndDilated()
      ? fastConv2d(x as tf.Tensor4D, this.weight as tf.Tensor4D, {
          stride: this.stride,
          padding: this.padding,
          dilation: this.dilation,
        })
      : // fastConv2d's checks and pad resolution, done once per input size (its gradient is registered for tf.conv2d).
        tf.conv2d(
          x as tf.Tensor4D,
          this.weight as tf.Tensor4D,
          this.stride,
          this.padsFor(x.shape[1] as number, x.shape[2] as number),
          'NHWC',
          this.dilation,
        );
    return this.bias === null ? y : tf.add(y, this.bias);
  }

  private stridedAndDilated(): boolean {
    return (this.stride[0] > 1 || this.stride[1] > 1) && (this.dilation[0] > 1 || this.dilation[1] > 1);
  }

  fusedOutFeatures(): number {
    return this.outChannels;
  }

  /**
   * conv + bias (+ folded BatchNorm) (+ ReLU) as one `tf.fused.conv2d` kernel; for inference only
   * (no gradient flows to a folded weight). Null for stride and dilation both > 1 (the plain path
   * dilates the filter for that case).
   */
  forwardFused(x: tf.Tensor, _ctx: ForwardContext, epilogue: Epilogue): tf.Tensor | null {
    if (this.stridedAndDilated()) return null;
    expectBatch(this.name, x, [null, null, this.inChannels]);
    const { weight, bias } =
      epilogue.bn === null
        ? { weight: this.weight as tf.Tensor, bias: this.bias as tf.Tensor | null }
        : foldedParams(this, this.weight, this.bias, epilogue.bn);
    return tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: weight as tf.Tensor4D,
      strides: this.stride,
      pad: this.padsFor(x.shape[1] as number, x.shape[2] as number),
      dilations: this.dilation,
      ...(bias === null ? {} : { bias }),
      activation: epilogue.relu ? 'relu' : 'linear',
    });
  }

  private padsFor(h: number, w: number): ReturnType<typeof nhwcPads> {
    const last = this.lastPads;
    if (last !== null && last.h === h && last.w === w) return last.pads;
    const p = resolvePads(h, w, this.kernelSize, this.stride, this.padding, this.dilation);
    windowOutputSize(h, w, this.kernelSize, this.stride, p, this.dilation, `Conv2d '${this.name}'`);
    const pads = nhwcPads(p);
    this.lastPads = { h, w, pads };
    return pads;
  }

  cost(inputShape: Shape): Cost {
    expectShape(this.name, inputShape, [null, null, this.inChannels]);
    const outputShape = convOutputShape(
      inputShape,
      this.kernelSize,
      this.stride,
      this.padding,
      this.dilation,
      this.outChannels,
    );
    const [kh, kw] = this.kernelSize;
    const perPixel = this.inChannels * this.outChannels * kh * kw;
    return {
      params: perPixel + (this.bias === null ? 0 : this.outChannels),
      macs: outputShape[0] * outputShape[1] * perPixel,
      outputShape,
    };
  }

  config(): ModuleConfig {
    return {
      kind: this.kind,
      name: this.name,
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      bias: this.bias !== null,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

registerModule('conv2d', (c) => {
  const seed = c.seed;
  return new Conv2d(c.name, {
    inChannels: field<number>(c, 'inChannels', isNum, 'a number'),
    outChannels: field<number>(c, 'outChannels', isNum, 'a number'),
    kernelSize: field<[number, number]>(c, 'kernelSize', isAny, 'a number or pair'),
    stride: field<[number, number]>(c, 'stride', isAny, 'a number or pair'),
    padding: field<Padding>(c, 'padding', isAny, 'a padding'),
    dilation: field<[number, number]>(c, 'dilation', isAny, 'a number or pair'),
    bias: field<boolean>(c, 'bias', isBool, 'a boolean'),
    ...(typeof seed === 'number' ? { seed } : {}),
  });
});
