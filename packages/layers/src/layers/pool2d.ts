import type * as tf from '@tensorflow/tfjs-core';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import { checkPadding, type Padding, type Pads, pair, resolvePads, windowOutputSize } from '../ops/conv-geometry.js';
import '../ops/register-gradients.js';
import { expectBatch, expectShape, field, isAny } from './checks.js';

/** Options of {@link MaxPool} and {@link AvgPool}. */
export interface Pool2dOptions {
  /** Window k_h × k_w. */
  readonly kernelSize: number | readonly [number, number];
  /** Default: the kernel size. */
  readonly stride?: number | readonly [number, number];
  /** Default `'valid'`. Padded cells never win a max and are not counted in an average. */
  readonly padding?: Padding;
}

/** Shared geometry of the 2-D pooling layers: `[N, H, W, C]` → `[N, H', W', C]`. */
export abstract class Pool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding;

  constructor(name: string, options: Pool2dOptions) {
    super(name);
    this.kernelSize = pair(options.kernelSize, `${this.constructor.name} '${name}': kernelSize`);
    this.stride = pair(options.stride ?? this.kernelSize, `${this.constructor.name} '${name}': stride`);
    this.padding = options.padding ?? 'valid';
    checkPadding(this.padding, `${this.constructor.name} '${name}': padding`);
  }

  /** Padding of an `h`×`w` input (top, bottom, left, right). */
  protected pads(h: number, w: number): Pads {
    return resolvePads(h, w, this.kernelSize, this.stride, this.padding);
  }

  /** The pooling itself on an NHWC batch with the given padding. */
  protected abstract pool(x: tf.Tensor4D, pads: Pads): tf.Tensor4D;

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    expectBatch(this.name, x, [null, null, null]);
    const [, h, w] = x.shape as [number, number, number, number];
    const pads = this.pads(h, w);
    windowOutputSize(h, w, this.kernelSize, this.stride, pads, [1, 1], `layer '${this.name}'`);
    return this.pool(x as tf.Tensor4D, pads);
  }

  cost(inputShape: Shape): Cost {
    expectShape(this.name, inputShape, [null, null, null]);
    const [h, w, c] = inputShape as [number, number, number];
    const [oh, ow] = windowOutputSize(
      h,
      w,
      this.kernelSize,
      this.stride,
      this.pads(h, w),
      [1, 1],
      `layer '${this.name}'`,
    );
    return { params: 0, macs: 0, outputShape: [oh, ow, c] };
  }

  config(): ModuleConfig {
    return {
      kind: this.kind,
      name: this.name,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    };
  }
}

/** tfjs's pooling ops take explicit pads as `[[0,0],[t,b],[l,r],[0,0]]`. */
export function explicitPads(p: Pads): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

/** Reads {@link Pool2dOptions} back from a config. */
export function poolOptions(c: ModuleConfig): Pool2dOptions {
  return {
    kernelSize: field<[number, number]>(c, 'kernelSize', isAny, 'a number or pair'),
    stride: field<[number, number]>(c, 'stride', isAny, 'a number or pair'),
    padding: field<Padding>(c, 'padding', isAny, 'a padding'),
  };
}
