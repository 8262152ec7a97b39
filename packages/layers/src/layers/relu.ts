import * as tf from '@tensorflow/tfjs-core';
import { type Cost, type ForwardContext, Module, type ModuleConfig, type Shape } from '../module.js';
import '../ops/register-gradients.js';
import { registerModule } from '../registry.js';

/** max(x, 0), elementwise; any shape. No params, no MACs. */
export class ReLU extends Module {
  readonly kind = 'relu';

  forward(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return tf.relu(x);
  }

  cost(inputShape: Shape): Cost {
    return { params: 0, macs: 0, outputShape: [...inputShape] };
  }

  config(): ModuleConfig {
    return { kind: this.kind, name: this.name };
  }
}

registerModule('relu', (c) => new ReLU(c.name));
