import * as tf from '@tensorflow/tfjs-core';
import { checkInt } from '@tnzip/tensor';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';
import { expectBatch, expectShape, field, isNum } from './checks.js';

/** Options of {@link ChannelPadShortcut}. */
export interface ChannelPadShortcutOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  /** Spatial subsampling step. Default 2. */
  readonly stride?: number;
}

/**
 * The CIFAR ResNet option-A shortcut (He et al. 2016): keep every `stride`-th row and column
 * (x[:, ::s, ::s, :]) and zero-pad the channels from S to T, ⌊(T − S)/2⌋ before and the rest
 * after (as the common PyTorch `F.pad(x[:, :, ::2, ::2], (0,0,0,0, T//4, T//4))` when T = 2S).
 * `[N, H, W, S]` → `[N, ⌈H/s⌉, ⌈W/s⌉, T]`. No params, no MACs.
 */
export class ChannelPadShortcut extends Module {
  readonly kind = 'channel-pad-shortcut';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;

  constructor(name: string, options: ChannelPadShortcutOptions) {
    super(name);
    checkInt(options.inChannels, `ChannelPadShortcut '${name}': inChannels`, 1);
    checkInt(options.outChannels, `ChannelPadShortcut '${name}': outChannels`, options.inChannels);
    this.stride = options.stride ?? 2;
    checkInt(this.stride, `ChannelPadShortcut '${name}': stride`, 1);
    this.inChannels = options.inChannels;
    this.outChannels = options.outChannels;
  }

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    expectBatch(this.name, x, [null, null, this.inChannels]);
    const s = this.stride;
    const t = this.outChannels;
    if (s === 1 && t === this.inChannels) return x;
    // Subsampling and channel padding as one 1×1 convolution (stride s, 'valid') with a 0/1
    // selection filter E[0, 0, c, c + before] = 1: exact (x·1 + 0·…), one fast kernel on every
    // backend and a fast gradient, where a rank-6 reshape + slice runs ~100x slower on wasm.
    const before = Math.floor((t - this.inChannels) / 2);
    const sel = new Float32Array(this.inChannels * t);
    for (let c = 0; c < this.inChannels; c++) sel[c * t + c + before] = 1;
    const filter = tf.tensor4d(sel, [1, 1, this.inChannels, t]);
    return tf.conv2d(x as tf.Tensor4D, filter, s, 'valid');
  }

  cost(inputShape: Shape): Cost {
    expectShape(this.name, inputShape, [null, null, this.inChannels]);
    const [h, w] = inputShape as [number, number, number];
    return {
      params: 0,
      macs: 0,
      outputShape: [Math.ceil(h / this.stride), Math.ceil(w / this.stride), this.outChannels],
    };
  }

  config(): ModuleConfig {
    return {
      kind: this.kind,
      name: this.name,
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      stride: this.stride,
    };
  }
}

registerModule(
  'channel-pad-shortcut',
  (c) =>
    new ChannelPadShortcut(c.name, {
      inChannels: field<number>(c, 'inChannels', isNum, 'a number'),
      outChannels: field<number>(c, 'outChannels', isNum, 'a number'),
      stride: field<number>(c, 'stride', isNum, 'a number'),
    }),
);
