import * as tf from '@tensorflow/tfjs-core';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';

/**
 * `[N, d1, d2, ...]` → `[N, d1·d2·…]` in row-major (NHWC) order. Note: PyTorch flattens NCHW,
 * so a Linear after Flatten sees features in a different order than its PyTorch twin.
 */
export class Flatten extends Module {
  readonly kind = 'flatten';

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return tf.reshape(x, [x.shape[0] as number, -1]);
  }

  cost(inputShape: Shape): Cost {
    return { params: 0, macs: 0, outputShape: [inputShape.reduce((a, b) => a * b, 1)] };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name };
  }
}

registerModule('flatten', (c) => new Flatten(c.name));
